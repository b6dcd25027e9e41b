// Reveal-then-call for a callback (回访): the ticket comes from feedback's callback page;
// the number is fetched only on the agent's click (each reveal is recorded) and never cached.
"use strict";
(() => {
  Hotline.messages({
    zh: { "reveal.title": "回访拨号", "reveal.ticket": "工单", "reveal.masked": "来电号码",
      "reveal.show": "查看号码", "reveal.call": "拨打 {phone}",
      "reveal.note": "查看号码会被记录（谁、何时、哪张工单、为何）。仅用于本次回访。" },
    en: { "reveal.title": "Call back", "reveal.ticket": "Case", "reveal.masked": "Caller",
      "reveal.show": "Show the number", "reveal.call": "Call {phone}",
      "reveal.note": "Showing the number is recorded (who, when, which case, why). Use it for this callback only." },
  });
  const $ = (id) => document.getElementById(id);
  const ticket = new URLSearchParams(location.search).get("ticket") || "";
  const path = `/api/v1/tickets/${encodeURIComponent(ticket)}`;

  async function reveal() {
    $("error").textContent = "";
    try {
      const { phone } = await Hotline.api(`${path}/phone`);
      $("tel").href = `tel:${phone}`;
      $("tel").textContent = Hotline.t("reveal.call", { phone });
      $("dial").hidden = false;
      $("reveal").hidden = true;
    } catch (problem) {
      $("error").textContent = problem.message;
    }
  }

  (async () => {
    Hotline.translate();
    if (!(await Hotline.header("reveal.title"))) return;
    $("reveal").addEventListener("click", reveal);
    try {
      const found = await Hotline.api(path);
      $("number").textContent = found.number;
      $("masked").textContent = found.caller_masked || "—";
    } catch (problem) {
      $("error").textContent = problem.message;
      $("reveal").disabled = true;
    }
  })();
})();
