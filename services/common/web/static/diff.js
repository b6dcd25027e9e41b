// A record's versions side by side: HotlineDiff.render(before, after) returns a table of the
// fields that were added, removed or changed, each with its value before → after. Nested
// objects read as dotted paths (department.name), lists of plain values as one value, lists
// of objects item by item (steps[1].title). null for before (created) or after (deleted)
// lists every field as added or removed. Needs hotline.js (Hotline.el, t, messages); no
// other script and no network.
"use strict";
const HotlineDiff = (() => {
  Hotline.messages({
    zh: {
      "diff.field": "字段", "diff.before": "修改前", "diff.after": "修改后",
      "diff.added": "新增", "diff.removed": "删除", "diff.changed": "修改",
      "diff.none": "内容没有变化", "diff.empty": "（空）", "diff.yes": "是", "diff.no": "否",
      "diff.caption": "修改前后对比",
    },
    en: {
      "diff.field": "Field", "diff.before": "Before", "diff.after": "After",
      "diff.added": "added", "diff.removed": "removed", "diff.changed": "changed",
      "diff.none": "Nothing changed", "diff.empty": "(empty)", "diff.yes": "yes", "diff.no": "no",
      "diff.caption": "Before and after",
    },
  });

  const STYLE = `
table.diff { width: 100%; border-collapse: collapse; font-size: 0.92em; table-layout: fixed; }
table.diff thead th:first-child { width: 30%; }
table.diff thead th:nth-child(3) { width: 2em; }
table.diff th, table.diff td { text-align: left; vertical-align: top; padding: 0.25em 0.5em;
  border-bottom: 1px solid #e3e6ea; overflow-wrap: anywhere; }
table.diff caption { text-align: left; color: #5f6b7a; font-size: 0.9em; }
table.diff .diff-arrow { color: #5f6b7a; width: 1.5em; }
table.diff del { background: #fde8e8; color: #8a1c1c; text-decoration: line-through; }
table.diff ins { background: #e3f6e8; color: #17602c; text-decoration: none; }
table.diff .diff-mark { font-size: 0.8em; color: #5f6b7a; margin-left: 0.4em; }
table.diff .diff-path { font-family: ui-monospace, monospace; }`;

  function style() {
    if (document.getElementById("hotline-diff-style")) return;
    document.head.append(Hotline.el("style", { id: "hotline-diff-style" }, STYLE));
  }

  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const plainList = (v) => Array.isArray(v) && v.every((x) => x === null || typeof x !== "object");

  // path → value, for every leaf of `value` (objects by key, lists of objects by index).
  function flatten(value, prefix = "", out = new Map()) {
    if (isObject(value)) {
      const keys = Object.keys(value);
      if (!keys.length && prefix) out.set(prefix, value);
      for (const key of keys) flatten(value[key], prefix ? `${prefix}.${key}` : key, out);
    } else if (Array.isArray(value) && !plainList(value)) {
      if (!value.length && prefix) out.set(prefix, value);
      value.forEach((item, i) => flatten(item, `${prefix}[${i}]`, out));
    } else {
      out.set(prefix, value);
    }
    return out;
  }

  // A value for people: lists joined, booleans in words, nothing as "(empty)".
  function readable(value) {
    if (value === null || value === undefined || value === "") return Hotline.t("diff.empty");
    if (value === true) return Hotline.t("diff.yes");
    if (value === false) return Hotline.t("diff.no");
    if (Array.isArray(value)) {
      return value.length ? value.map(readable).join(Hotline.lang() === "zh" ? "、" : ", ") : Hotline.t("diff.empty");
    }
    if (isObject(value)) return Object.keys(value).length ? JSON.stringify(value) : Hotline.t("diff.empty");
    return String(value);
  }

  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  // The differences as rows: {path, change: added | removed | changed, before, after}, in
  // the order the fields come in (after's order, then what only before had).
  function changes(before, after) {
    const old = flatten(before ?? {}), now = flatten(after ?? {});
    const rows = [];
    for (const [path, value] of now) {
      if (!old.has(path)) rows.push({ path, change: "added", after: value });
      else if (!same(old.get(path), value)) rows.push({ path, change: "changed", before: old.get(path), after: value });
    }
    for (const [path, value] of old) {
      if (!now.has(path)) rows.push({ path, change: "removed", before: value });
    }
    return rows;
  }

  // options.labels: {path: text} to name fields for people (the path is shown otherwise).
  function render(before, after, options = {}) {
    style();
    const { el, t } = Hotline;
    const labels = options.labels || {};
    const rows = changes(before, after).map((row) => el("tr", { class: `diff-${row.change}`, "data-field": row.path },
      el("th", { scope: "row" }, el("span", { class: labels[row.path] ? "" : "diff-path" }, labels[row.path] || row.path),
        el("span", { class: "diff-mark" }, t(`diff.${row.change}`))),
      el("td", { class: "diff-before" }, row.change === "added" ? "—" : el("del", {}, readable(row.before))),
      el("td", { class: "diff-arrow", "aria-hidden": "true" }, "→"),
      el("td", { class: "diff-after" }, row.change === "removed" ? "—" : el("ins", {}, readable(row.after)))));
    const body = rows.length ? rows
      : [el("tr", { class: "diff-none" }, el("td", { colspan: "4", class: "muted" }, t("diff.none")))];
    return el("table", { class: "diff" },
      el("caption", { class: "sr-only" }, t("diff.caption")),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("diff.field")), el("th", { scope: "col" }, t("diff.before")),
        el("th", { "aria-hidden": "true" }), el("th", { scope: "col" }, t("diff.after")))),
      el("tbody", {}, body));
  }

  return { render, changes };
})();
