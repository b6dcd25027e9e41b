// Shared by the staff pages: texts of the tabs, and the tabs each role may use.
"use strict";
const FeedbackStaff = (() => {
  Hotline.messages({
    zh: { "nav.pages": "页面", "nav.rankings": "三率排名", "nav.callbacks": "回访",
      "rank.title": "三率排名", "callbacks.title": "回访" },
    en: { "nav.pages": "Pages", "nav.rankings": "Rankings", "nav.callbacks": "Callbacks",
      "rank.title": "Department rankings", "callbacks.title": "Callbacks" },
  });
  const TABS = { rankings: ["leader", "dispatcher", "admin"], callbacks: ["agent", "admin"] };

  async function start(titleKey, page) {
    Hotline.translate();
    const user = await Hotline.header(titleKey);
    if (!user) {
      location.href = `${Hotline.BASE}/login?next=${encodeURIComponent(location.pathname)}`;
      return null;
    }
    for (const [tab, roles] of Object.entries(TABS)) {
      document.getElementById(`tab-${tab}`).hidden = !roles.includes(user.role);
    }
    if (!TABS[page].includes(user.role)) {
      const other = page === "rankings" ? "callbacks" : "rankings";
      if (TABS[other].includes(user.role)) { location.href = `${Hotline.BASE}/${other}`; return null; }
    }
    return user;
  }

  function toast(text) {
    const node = Hotline.el("div", { class: "toast", role: "status" }, text);
    document.body.append(node);
    setTimeout(() => node.remove(), 3500);
  }

  return { start, toast };
})();
