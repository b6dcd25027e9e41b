// The admin's view of personal data: every reveal (and refusal), export, erasure and
// retention sweep, newest first; and a caller's request to see or erase their data.
"use strict";
(() => {
  Hotline.messages({
    zh: { "privacy.title": "个人信息审计", "privacy.request": "来电人请求（查阅复制 / 删除）",
      "privacy.phone": "来电号码或来信邮箱", "privacy.export": "导出 (JSON)", "privacy.erase": "删除号码或邮箱",
      "privacy.confirm": "确定删除该号码或邮箱的所有记录？此操作不可撤销。", "privacy.erased": "已删除 {n} 条来电中的号码。",
      "privacy.erased_mail": "已删除 {n} 封来信中的邮箱地址。",
      "privacy.audit": "记录", "privacy.at": "时间", "privacy.actor": "操作人", "privacy.action": "操作",
      "privacy.outcome": "结果", "privacy.reason": "原因", "privacy.ticket": "工单", "privacy.records": "条数",
      "privacy.more": "更早的记录" },
    en: { "privacy.title": "Personal data audit", "privacy.request": "A caller's request (copy / erasure)",
      "privacy.phone": "Caller's number or sender's email", "privacy.export": "Export (JSON)", "privacy.erase": "Erase the number or address",
      "privacy.confirm": "Erase this number or address from every record? This cannot be undone.", "privacy.erased": "The number was erased from {n} calls.",
      "privacy.erased_mail": "The address was erased from {n} messages.",
      "privacy.audit": "Records", "privacy.at": "Time", "privacy.actor": "By", "privacy.action": "Action",
      "privacy.outcome": "Outcome", "privacy.reason": "Reason", "privacy.ticket": "Case", "privacy.records": "Records",
      "privacy.more": "Older records" },
  });
  const { el, api, t } = Hotline;
  const $ = (id) => document.getElementById(id);
  let before = null;

  function line(a) {
    return el("tr", { "data-outcome": a.outcome },
      el("td", {}, Hotline.fmtTime(a.at, true)), el("td", {}, a.actor), el("td", {}, a.action),
      el("td", {}, a.outcome), el("td", {}, a.reason), el("td", {}, a.ticket_id || "—"),
      el("td", { class: "num" }, String(a.records)));
  }

  async function load(more = false) {
    const page = await api(`/api/v1/privacy-audit?limit=50${more && before ? `&before=${before}` : ""}`);
    const body = document.querySelector("#audit tbody");
    const rows = page.items.map(line);
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    before = page.next_before;
    $("more").hidden = !before;
  }

  function download(data) {
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const a = el("a", { href: URL.createObjectURL(blob), download: "caller-export.json" });
    a.click();
    URL.revokeObjectURL(a.href);
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    const action = event.submitter ? event.submitter.value : "export";
    if (action === "erase" && !confirm(t("privacy.confirm"))) return;
    $("done").textContent = "";
    try {
      const who = form.phone.value.trim();
      const body = who.includes("@") ? { email: who } : { phone: who };
      const done = await api(`/api/v1/callers/${action}`, { method: "POST", body });
      if (action === "export") download(done);
      else if (done.erased_messages !== undefined) $("done").textContent = t("privacy.erased_mail", { n: done.erased_messages });
      else $("done").textContent = t("privacy.erased", { n: done.erased_calls });
      form.reset();
      await load();
    } catch (problem) {
      Hotline.showErrors(form, problem);
    }
  }

  (async () => {
    Hotline.translate();
    if (!(await Hotline.header("privacy.title"))) return;
    $("request").addEventListener("submit", submit);
    $("more").addEventListener("click", () => load(true));
    await load();
  })();
})();
