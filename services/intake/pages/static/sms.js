// The SMS outbox: what intake texted (or will text) to citizens, refreshed every few seconds.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  const TONE = { sent: "ok", failed: "bad", pending: "warn" };
  function row(m) {
    return el("tr", { "data-status": m.status },
      el("td", {}, Hotline.fmtTime(m.created_at)), el("td", {}, m.ticket_number || "—"),
      el("td", { class: "phone" }, m.caller_masked || "—"), el("td", {}, t(`sms.${m.purpose}`)),
      el("td", { class: "sms-text" }, m.text),
      el("td", {}, el("span", { class: `badge ${TONE[m.status] || ""}` }, t(`sms.${m.status}`))),
      el("td", {}, String(m.attempts)), el("td", { class: "muted" }, m.last_error || ""));
  }
  async function load() {
    const status = document.getElementById("status").value;
    let rows;
    try { rows = await api(`/api/v1/sms?limit=200${status ? `&status=${status}` : ""}`); }
    catch (problem) { document.querySelector("#outbox tbody").replaceChildren(el("tr", {}, el("td", { colspan: "8", class: "error" }, problem.message))); return; }
    const body = document.querySelector("#outbox tbody");
    body.replaceChildren(...(rows.length ? rows.map(row)
      : [el("tr", {}, el("td", { colspan: "8", class: "muted" }, t("common.empty")))]));
  }
  document.getElementById("status").addEventListener("change", load);
  document.addEventListener("hotline:lang", load);
  (async () => {
    Hotline.translate();
    await Hotline.header("console.sms_title");
    load();
    setInterval(load, 5000);
  })();
})();
