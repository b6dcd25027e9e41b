// An accessible autocompletion box (ARIA combobox + listbox): type, ↑/↓ to move,
// Enter or click to pick, Esc to close. `fetch(q)` returns items; `render(item)` gives
// [main text, secondary text]; `pick(item)` is called with the chosen one.
"use strict";
function makeCombo(input, list, { fetch, render, pick, delay = 120 }) {
  let items = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  function close() {
    list.hidden = true; input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant"); active = -1;
  }
  function highlight(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    const current = list.children[index];
    if (current) { input.setAttribute("aria-activedescendant", current.id); current.scrollIntoView({ block: "nearest" }); }
  }
  function show(found) {
    items = found;
    list.replaceChildren(...found.map((item, i) => {
      const [main, secondary] = render(item);
      return Hotline.el("li", { id: `${list.id}-${i}`, role: "option", "aria-selected": "false",
        onmousedown: (e) => { e.preventDefault(); choose(i); } },
        Hotline.el("span", {}, main), Hotline.el("span", { class: "path" }, secondary));
    }));
    if (!found.length) list.append(Hotline.el("li", { class: "muted", role: "option", "aria-disabled": "true" }, Hotline.t("console.no_match")));
    list.hidden = false; input.setAttribute("aria-expanded", "true");
    highlight(found.length ? 0 : -1);
  }
  function choose(index) {
    const item = items[index];
    if (!item) return;
    close();
    pick(item);
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(async () => {
      const mine = ++asked;
      try { const found = await fetch(q); if (mine === asked) show(found); } catch (e) { close(); }
    }, delay);
  });
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(items.length - 1, active + 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(0, active - 1)); }
    else if (e.key === "Enter" && !e.ctrlKey) { e.preventDefault(); choose(active); }
    else if (e.key === "Escape") { e.preventDefault(); close(); }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  return { close };
}
