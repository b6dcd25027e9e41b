// A dispatcher opens a ticket with no caller (未诉先办) from a hot spot or a monthly theme:
// the form comes filled from the link (?source=&category=&area=), the ticket is routed and
// clocked like any other.
"use strict";
(() => {
  Hotline.messages({
    zh: { "proactive.title": "主动立单（未诉先办）", "proactive.heading": "无来电人，由热点或专题发起",
      "proactive.source": "来源", "proactive.category": "分类编码（末级）", "proactive.area": "区域编码",
      "proactive.address": "具体位置", "proactive.description": "问题描述", "proactive.submit": "立单并派发",
      "proactive.done": "已立单，工单号 {number}" },
    en: { "proactive.title": "Proactive ticket", "proactive.heading": "No caller: opened from a hot spot or a theme",
      "proactive.source": "Opened from", "proactive.category": "Category code (leaf)", "proactive.area": "Area code",
      "proactive.address": "Exact place", "proactive.description": "What the problem is", "proactive.submit": "Open and dispatch",
      "proactive.done": "Ticket {number} opened" },
  });
  const $ = (id) => document.getElementById(id);
  const form = $("proactive");
  const given = new URLSearchParams(location.search);
  $("source").value = given.get("source") || "";
  $("category_code").value = given.get("category") || "";
  $("area_code").value = given.get("area") || "";
  $("description").value = given.get("description") || "";

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("done").textContent = "";
    const body = {};
    for (const name of ["source", "category_code", "area_code", "address", "description"]) {
      const value = form.elements[name].value.trim();
      if (value) body[name] = value;
    }
    try {
      const ticket = await Hotline.once("/api/v1/proactive-tickets", { body });
      form.querySelectorAll(".error").forEach((n) => { n.textContent = ""; });
      $("done").replaceChildren(Hotline.el("a", { href: Hotline.link("search", `/search?q=${ticket.number}`) },
        Hotline.t("proactive.done", { number: ticket.number })));
    } catch (problem) {
      Hotline.showErrors(form, problem);
    }
  });
  (async () => { await Hotline.header("proactive.title"); Hotline.translate(); })();
})();
