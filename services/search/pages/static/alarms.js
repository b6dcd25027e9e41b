// The leaders' dashboard banner of open hot-spot alarms: each names its spot and its week;
// acknowledging one (who and when are kept) offers a proactive ticket or a monthly theme.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "alarm.title": "热点预警", "alarm.spot": "{area} · {category}：近 7 天 {count} 件，往常每周约 {expected} 件",
      "alarm.ack": "确认", "alarm.acked": "{by} 已于 {at} 确认", "alarm.to_ticket": "主动立单",
      "alarm.to_theme": "立为每月一题",
    },
    en: {
      "alarm.title": "Hot-spot alarms", "alarm.spot": "{area} · {category}: {count} in the last 7 days, about {expected} a week before",
      "alarm.ack": "Acknowledge", "alarm.acked": "acknowledged by {by} at {at}", "alarm.to_ticket": "Open a proactive ticket",
      "alarm.to_theme": "Make it a monthly theme",
    },
  });
  const node = document.getElementById("hotspot-alarms");
  let alarms = [];
  let user = null;

  // Leaders make a spot a theme, dispatchers open a proactive ticket: each sees their own.
  function offers(alarm) {
    const links = [];
    if (Hotline.may(user, "intake/proactive")) {
      links.push(el("a", { href: Hotline.link("intake", alarm.offers.proactive) }, t("alarm.to_ticket")));
    }
    if (Hotline.may(user, "cue/theme-steer")) {
      links.push(el("a", { href: `${Hotline.BASE}${alarm.offers.theme}` }, t("alarm.to_theme")));
    }
    return links;
  }

  async function acknowledge(alarm) {
    try {
      const seen = await api(`/api/v1/hotspot-alarms/${encodeURIComponent(alarm.id)}/acknowledge`, { method: "POST" });
      alarms = alarms.map((a) => (a.id === seen.id ? seen : a));
      render();
    } catch (problem) {
      node.querySelector(`[data-alarm="${alarm.id}"] .error`).textContent = problem.message;
    }
  }

  function item(alarm) {
    const spot = t("alarm.spot", { area: alarm.area_name || alarm.area_code, category: alarm.category_name || alarm.category_code,
      count: alarm.count, expected: alarm.expected.toFixed(1) });
    const act = alarm.acknowledged_by
      ? [el("span", { class: "muted" }, t("alarm.acked", { by: alarm.acknowledged_by, at: Hotline.fmtTime(alarm.acknowledged_at) })), ...offers(alarm)]
      : [el("button", { type: "button", class: "secondary", onclick: () => acknowledge(alarm) }, t("alarm.ack"))];
    return el("li", { "data-alarm": alarm.id }, el("span", {}, spot), " ", el("span", { class: "row" }, ...act),
      el("span", { class: "error" }));
  }

  function render() {
    node.hidden = alarms.length === 0;
    node.replaceChildren(el("div", { class: "notice bad", role: "alert" },
      el("strong", {}, t("alarm.title")), el("ul", {}, ...alarms.map(item))));
  }

  async function load() {
    const found = await api("/api/v1/hotspot-alarms", { redirectOn401: false }).catch(() => null);
    if (!found) return;
    user = user || await api("/api/v1/auth/me", { redirectOn401: false }).catch(() => null);
    alarms = found;
    render();
  }

  document.addEventListener("hotline:lang", () => render());
  load();
  setInterval(load, 60000);
})();
