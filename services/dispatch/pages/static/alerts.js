// What a dispatch page must show at once: the department's warned and breached open
// assignments (workbench badge, #sla-alerts) and, for dispatchers and admins, a banner when
// the holiday calendar runs out within 60 days (desk, #calendar-banner); the open hot-spot
// alarms (desk badge, #hotspot-alarms).
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "alerts.badge": "超期 {bad} · 临期 {warn}", "alerts.about": "本单位已被催办或已超期、仍在办理的工单",
      "alerts.hotspots": "热点预警 {n}",
      "alerts.calendar": "节假日日历只到 {until}（还剩 {days} 天）。国务院办公厅公布下一年节假日安排后，请管理员导入（PUT /api/v1/calendar/{year} 或 hotline calendar import），否则此后的工作时限按周一至周五计算。",
    },
    en: {
      "alerts.badge": "{bad} overdue · {warn} warned", "alerts.about": "Open assignments of this department warned or overdue",
      "alerts.hotspots": "{n} hot-spot alarm(s)",
      "alerts.calendar": "The holiday calendar ends on {until} ({days} days left). Once the State Council publishes next year's holidays, an admin must import them (PUT /api/v1/calendar/{year} or hotline calendar import); until then working time after that day counts Monday to Friday.",
    },
  });

  async function badge(node) {
    const counts = await api("/api/v1/sla-alerts", { redirectOn401: false }).catch(() => null);
    if (!counts) return;
    node.hidden = counts.warned + counts.breached === 0;
    node.className = "badge " + (counts.breached ? "bad" : "warn");
    node.title = t("alerts.about");
    node.textContent = t("alerts.badge", { bad: counts.breached, warn: counts.warned });
  }

  async function hotspots(node) {
    const open = await api("/api/v1/hotspot-alarms", { redirectOn401: false }).catch(() => null);
    node.hidden = !(open && open.length);
    if (!open) return;
    node.textContent = t("alerts.hotspots", { n: open.length });
    node.title = open.map((a) => `${a.area_name || a.area_code} · ${a.category_name || a.category_code}: ${a.count}`).join("\n");
  }

  async function banner(node) {
    const status = await api("/api/v1/calendar", { redirectOn401: false }).catch(() => null);
    node.hidden = !(status && status.warning);
    if (!status || !status.warning) return;
    const next = Number(status.known_until.slice(0, 4)) + 1;
    node.replaceChildren(el("p", { class: "notice bad", role: "alert" },
      t("alerts.calendar", { until: status.known_until, days: status.days_left, year: next })));
  }

  function refresh() {
    const count = document.getElementById("sla-alerts");
    const calendar = document.getElementById("calendar-banner");
    if (count) badge(count);
    if (calendar) banner(calendar);
    const spots = document.getElementById("hotspot-alarms");
    if (spots) hotspots(spots);
  }

  document.addEventListener("hotline:lang", refresh);
  refresh();
  setInterval(refresh, 60000);
})();
