// Shared by the staff pages: their titles, and who lands on which.
"use strict";
const FeedbackStaff = (() => {
  Hotline.messages({
    zh: { "rank.title": "三率排名", "callbacks.title": "回访" },
    en: { "rank.title": "Department rankings", "callbacks.title": "Callbacks" },
  });

  async function start(titleKey, page) {
    Hotline.translate();
    const user = await Hotline.header(titleKey);
    if (!user) {
      location.href = `${Hotline.BASE}/login?next=${encodeURIComponent(location.pathname)}`;
      return null;
    }
    // Someone who may not open this page but may open its sibling lands there.
    if (!Hotline.may(user, `feedback/${page}`)) {
      const other = page === "rankings" ? "callbacks" : "rankings";
      if (Hotline.may(user, `feedback/${other}`)) { location.href = `${Hotline.BASE}/${other}`; return null; }
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
