// The leaders' dashboard: SLA compliance by month, the three rates per department, overdue
// tickets per department and the week's hot spots, each as a chart and a table.
"use strict";
(() => {
  Hotline.messages({
    zh: {
      "dash.title": "领导驾驶舱", "dash.months": "统计月数", "dash.overview": "概况",
      "dash.generated": "数据截至 {time}", "dash.k.open": "在办工单", "dash.k.overdue": "超期未办结",
      "dash.k.created": "本月受理", "dash.k.breached": "超时仍在办",
      "dash.sla": "按时办结率（按办结月份）", "dash.overdue": "各承办单位超期未办结",
      "dash.rates": "各承办单位三率", "dash.hot": "热点问题（近 7 天对比此前 8 周）",
      "dash.channels": "各渠道受理量（统计期内）", "dash.c.channel": "渠道",
      "dash.c.department": "承办单位", "dash.c.rated": "参评件", "dash.c.response": "响应率",
      "dash.c.excluded": "申诉核减",
      "dash.c.solution": "解决率", "dash.c.satisfaction": "满意率", "dash.c.month": "月份",
      "dash.c.resolved": "办结", "dash.c.within": "按时", "dash.c.rate": "按时率", "dash.c.count": "件数",
      "dash.c.problem": "问题", "dash.c.area": "街道", "dash.c.week": "近 7 天", "dash.c.expected": "往常每周",
      "dash.c.ratio": "倍数", "dash.c.score": "异常度", "dash.c.tickets": "工单",
      "dash.expected": "往常每周", "dash.none": "暂无数据", "dash.view": "查看 {n} 件",
      "dash.defs": "口径说明", "dash.k.proactive": "本月主动立单", "dash.themes": "每月一题（进行中）",
      "dash.c.theme": "专题", "dash.c.tasks": "任务完成", "dash.c.overdue_tasks": "逾期任务",
      "dash.c.change": "周均件数变化", "dash.c.act": "处置", "dash.to_theme": "立为专题", "dash.to_ticket": "主动立单",
      "dash.def.proactive": "主动立单（未诉先办）无来电人、不参与市民评价，不计入三率；与其他工单一样计入按时办结率，并单独计数。",
      "dash.k.suggestions": "本月派单建议采纳率", "dash.k.suggestions.count": "采纳 {a} 件 / 共 {n} 件",
      "dash.def.suggestions": "派单建议采纳率：从待审清单派出、带有分类建议的工单中，派往建议承办单位的件数 ÷ 件数（按派单时间计入月份）。",
      "dash.def.response": "响应率：市民回答“承办单位联系过我”、且派单记录的联系未超时的评价数 ÷ 评价数。",
      "dash.def.solution": "解决率：市民回答“问题已解决”的评价数 ÷ 评价数。",
      "dash.def.satisfaction": "满意率：（满意 + 基本满意 × 0.8）÷ 评价数。",
      "dash.def.attribution": "每轮评价计一次（重办件再评价另计），计入该工单最近一次评价的承办单位和月份；与回访考核的区别仅在跨月或换单位重办的工单。",
      "dash.def.sla": "按时办结率：牵头单位在办理期限内办结的件数 ÷ 办结件数。热点：某分类在某街道近 7 天的件数，相对此前各周的泊松意外程度（-log10 p）。",
    },
    en: {
      "dash.title": "Leaders' dashboard", "dash.months": "Months", "dash.overview": "Overview",
      "dash.generated": "Figures as of {time}", "dash.k.open": "Open tickets", "dash.k.overdue": "Overdue",
      "dash.k.created": "Received this month", "dash.k.breached": "Late and still open",
      "dash.sla": "Resolved on time, by month of resolution", "dash.overdue": "Overdue tickets by department",
      "dash.rates": "The three rates by department", "dash.hot": "Hot spots (last 7 days against the 8 weeks before)",
      "dash.channels": "Tickets received by channel (in the window)", "dash.c.channel": "Channel",
      "dash.c.department": "Department", "dash.c.rated": "Ratings", "dash.c.response": "Response",
      "dash.c.excluded": "Excluded by appeal",
      "dash.c.solution": "Solution", "dash.c.satisfaction": "Satisfaction", "dash.c.month": "Month",
      "dash.c.resolved": "Resolved", "dash.c.within": "On time", "dash.c.rate": "On-time rate", "dash.c.count": "Tickets",
      "dash.c.problem": "Problem", "dash.c.area": "Street", "dash.c.week": "Last 7 days", "dash.c.expected": "Usual week",
      "dash.c.ratio": "Ratio", "dash.c.score": "Surprise", "dash.c.tickets": "Tickets",
      "dash.expected": "usual week", "dash.none": "No data yet", "dash.view": "See {n}",
      "dash.defs": "Definitions", "dash.k.proactive": "Proactive this month", "dash.themes": "Monthly themes (active)",
      "dash.c.theme": "Theme", "dash.c.tasks": "Tasks done", "dash.c.overdue_tasks": "Overdue tasks",
      "dash.c.change": "Weekly tickets change", "dash.c.act": "Act", "dash.to_theme": "Make a theme", "dash.to_ticket": "Proactive ticket",
      "dash.def.proactive": "Proactive tickets (opened with no caller) are never rated, so they count in none of the three rates; they count in the on-time rate like any other and are shown apart.",
      "dash.k.suggestions": "Dispatch suggestions accepted this month", "dash.k.suggestions.count": "{a} of {n} accepted",
      "dash.def.suggestions": "Suggestion acceptance: of the tickets sent on from the review queue with a category suggestion, those sent to the suggested department ÷ all of them (counted in the month they were sent).",
      "dash.def.response": "Response rate: ratings where the citizen says they were contacted and dispatch did not record the contact as late, ÷ ratings.",
      "dash.def.solution": "Solution rate: ratings saying the problem is solved ÷ ratings.",
      "dash.def.satisfaction": "Satisfaction rate: (satisfied + mostly satisfied × 0.8) ÷ ratings.",
      "dash.def.attribution": "Each rated round counts once, for the department and month of the ticket's latest rating; this differs from the monthly assessment only for tickets reopened across months or departments.",
      "dash.def.sla": "On-time rate: lead resolutions within their deadline ÷ resolutions. Hot spot: a category's tickets in a street over the last 7 days, scored by how unlikely that count is against the weeks before (Poisson, -log10 p).",
    },
  });

  const $ = (id) => document.getElementById(id);
  const { el, t } = Hotline;
  let board = null;
  let user = null;

  const pct = (v) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);
  const month = (key) => key.slice(0, 7);

  function table(node, head, rows, numeric = []) {
    node.replaceChildren(
      el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", { scope: "col", class: numeric.includes(i) ? "num" : "" }, t(h))))),
      el("tbody", {}, ...(rows.length ? rows : [[t("dash.none")]]).map((cells) =>
        el("tr", {}, ...cells.map((c, i) => el("td", { class: numeric.includes(i) ? "num" : "" }, c))))));
  }

  function meter(value) {
    if (value == null) return "–";
    return el("span", {}, pct(value), el("span", { class: `meter ${value < 0.8 ? "low" : ""}`, "aria-hidden": "true" },
      el("span", { style: `width:${Math.round(value * 100)}%` })));
  }

  function searchLink(params, text) {
    return el("a", { href: `${Hotline.BASE}/search?` + new URLSearchParams(params).toString() }, text);
  }

  // The share of suggestions taken, with the count behind it ("—" while none was decided).
  function suggestions(s) {
    const value = s && s.decided ? pct(s.acceptance) : "—";
    return el("div", { class: "kpi", id: "kpi-suggestions" }, el("div", { class: "v" }, value),
      el("div", { class: "k" }, t("dash.k.suggestions")),
      s && s.decided ? el("div", { class: "k" }, t("dash.k.suggestions.count", { a: s.accepted, n: s.decided })) : null);
  }

  function render() {
    const b = board;
    $("generated").textContent = t("dash.generated", { time: Hotline.fmtTime(b.generated_at) });
    const kpi = (key, value, href) => el("div", { class: "kpi" },
      el("div", { class: "v" }, href ? el("a", { href }, value.toLocaleString()) : value.toLocaleString()),
      el("div", { class: "k" }, t(key)));
    $("kpis").replaceChildren(kpi("dash.k.open", b.totals.open), kpi("dash.k.overdue", b.totals.overdue, `${Hotline.BASE}/search?overdue=true&sort=due`),
      kpi("dash.k.created", b.totals.created_this_month), kpi("dash.k.breached", b.totals.breached_open),
      suggestions(b.suggestions),
      kpi("dash.k.proactive", b.proactive.created_this_month, `${Hotline.BASE}/search?channel=proactive`));
    renderThemes(b.themes);

    const sla = b.sla.map((m) => ({ label: month(m.month), value: m.compliance }));
    $("sla-chart").replaceChildren(sla.length ? Charts.line(sla, { title: t("dash.sla") }) : el("p", { class: "empty" }, t("dash.none")));
    table($("sla-table"), ["dash.c.month", "dash.c.resolved", "dash.c.within", "dash.c.rate"],
      b.sla.map((m) => [month(m.month), m.m_resolved, m.m_within_sla, pct(m.compliance)]), [1, 2, 3]);

    const overdue = b.overdue.map((r) => ({ label: r.label || r.key, value: r.count }));
    $("overdue-chart").replaceChildren(overdue.length ? Charts.bars(overdue, { title: t("dash.overdue") }) : el("p", { class: "empty" }, t("dash.none")));
    table($("overdue-table"), ["dash.c.department", "dash.c.count"], b.overdue.map((r) => [r.label || r.key, r.count]), [1]);

    const channels = b.channels.map((r) => ({ label: Hotline.label("channel", r.key), value: r.count }));
    $("channels-chart").replaceChildren(channels.some((r) => r.value)
      ? Charts.bars(channels, { title: t("dash.channels") }) : el("p", { class: "empty" }, t("dash.none")));
    table($("channels-table"), ["dash.c.channel", "dash.c.count"],
      b.channels.map((r) => [searchLink({ channel: r.key, from: b.since }, Hotline.label("channel", r.key)), r.count]), [1]);

    table($("rates"), ["dash.c.department", "dash.c.rated", "dash.c.response", "dash.c.solution", "dash.c.satisfaction",
      "dash.c.excluded"],
    b.rates_window.map((r) => [r.label || r.key, r.m_rated.toLocaleString(), meter(r.response_rate),
      meter(r.resolution_rate), meter(r.satisfaction_rate), (r.excluded_tickets || 0).toLocaleString()]), [1, 2, 3, 4, 5]);

    const spots = b.hotspots.map((s) => ({ label: `${s.category_name || s.category_code} · ${s.area_name || s.area_code}`,
      value: s.count, mark: s.expected }));
    $("hot-chart").replaceChildren(spots.length
      ? Charts.bars(spots, { title: t("dash.hot"), color: "#ed6c02", markLabel: t("dash.expected") })
      : el("p", { class: "empty" }, t("dash.none")));
    const since = (iso) => iso.slice(0, 10);
    table($("hot"), ["dash.c.problem", "dash.c.area", "dash.c.week", "dash.c.expected", "dash.c.score", "dash.c.tickets", "dash.c.act"],
      b.hotspots.map((s) => [s.category_name || s.category_code, s.area_name || s.area_code, s.count,
        s.expected.toFixed(1), s.score.toFixed(1),
        searchLink({ category: s.category_code, area: s.area_code, from: since(new Date(Date.now() - 7 * 864e5).toISOString()) },
          t("dash.view", { n: s.count })), spotActions(s)]), [2, 3, 4]);
  }

  // Leaders make a hot spot a theme; dispatchers open a proactive ticket for it.
  function spotActions(s) {
    const links = [];
    if (Hotline.may(user, "cue/theme-steer")) {
      links.push(el("a", { href: `${Hotline.BASE}/themes?hotspot=${encodeURIComponent(s.key)}` }, t("dash.to_theme")));
    }
    if (Hotline.may(user, "intake/proactive")) {
      const query = new URLSearchParams({ source: `hotspot:${s.key}`, category: s.category_code, area: s.area_code });
      links.push(el("a", { href: Hotline.link("intake", `/proactive?${query}`) }, t("dash.to_ticket")));
    }
    return el("span", { class: "row" }, ...links);
  }

  function renderThemes(themes) {
    table($("themes"), ["dash.c.theme", "dash.c.tasks", "dash.c.overdue_tasks", "dash.c.change"],
      themes.map((th) => [el("a", { href: `${Hotline.BASE}/themes?id=${encodeURIComponent(th.id)}` }, th.title),
        `${th.progress.done}/${th.progress.tasks}`, th.progress.overdue,
        th.volume.change == null ? "–" : `${th.volume.change > 0 ? "+" : ""}${(th.volume.change * 100).toFixed(1)}%`]), [1, 2, 3]);
  }

  async function load() {
    try {
      board = await Hotline.api(`/api/v1/dashboard?months=${$("months").value}`);
      $("problem").textContent = "";
      render();
    } catch (problem) {
      $("problem").textContent = problem.message;
    }
  }

  $("months").addEventListener("change", load);
  document.addEventListener("hotline:lang", () => { if (board) render(); });
  (async () => {
    user = await Hotline.header("dash.title");
    Hotline.translate();
    load();
  })();
})();
