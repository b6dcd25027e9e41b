// The leader's ranking page: one month's departments by score, with the change since the
// month before, city-wide figures, definitions and the CSV downloads.
"use strict";
(() => {
  Hotline.messages({
    zh: {
      "rank.month": "月份", "rank.prev": "上个月", "rank.next": "下个月",
      "rank.partial": "本月进行中，数据截至此刻", "rank.csv": "导出排名 CSV", "rank.ratings_csv": "评价明细 CSV",
      "rank.city": "全市", "rank.k.departments": "参评单位", "rank.k.rated": "参评件数",
      "rank.k.response": "全市响应率", "rank.k.resolution": "全市解决率", "rank.k.satisfaction": "全市满意率",
      "rank.c.rank": "排名", "rank.c.department": "承办单位", "rank.c.rated": "参评件",
      "rank.c.response": "响应率", "rank.c.resolution": "解决率", "rank.c.satisfaction": "满意率",
      "rank.c.score": "综合得分", "rank.empty": "这个月还没有评价。",
      "rank.excluded": "申诉核减 {n} 件", "rank.excluded.list": "经申诉核减（不计入三率）：{list}",
      "rank.excluded.item": "{name} {tickets} 件（{ratings} 条评价）", "rank.d.appeals.t": "申诉",
      "rank.d.appeals": "承办单位的申诉获支持后，该工单计入该单位的全部评价不计入其三率及全市数据；申诉被改判后恢复计入。",
      "rank.caption": "{month} 各承办单位三率排名（与 {previous} 相比）",
      "rank.new": "新上榜", "rank.same": "持平", "rank.up": "上升 {n} 名", "rank.down": "下降 {n} 名",
      "rank.delta.up": "比上月高 {n} 个百分点", "rank.delta.down": "比上月低 {n} 个百分点",
      "rank.defs": "口径说明",
      "rank.d.response": "市民回答“承办单位联系过我”，且派单记录的首次联系不晚于联系时限的评价件数 ÷ 参评件数。",
      "rank.d.resolution": "市民回答“问题已解决”的件数 ÷ 参评件数。",
      "rank.d.satisfaction": "（满意件数 + 基本满意件数 × {basic}）÷ 参评件数。",
      "rank.d.score": "响应率 × {response} + 解决率 × {resolution} + 满意率 × {satisfaction}。",
      "rank.d.attribution.t": "归属",
      "rank.d.attribution": "每次评价只计入该轮的主办（牵头）单位；协办单位不计分。重办件每轮评价各计一次，计入评价所在月份。",
      "rank.d.change.t": "环比",
      "rank.d.change": "与上月相比的百分点变化，由未经舍入的数值相减后四舍五入；名次变化为上月名次减本月名次。",
    },
    en: {
      "rank.month": "Month", "rank.prev": "Previous month", "rank.next": "Next month",
      "rank.partial": "This month is in progress; figures up to now", "rank.csv": "Ranking CSV",
      "rank.ratings_csv": "Ratings CSV", "rank.city": "City-wide", "rank.k.departments": "Departments rated",
      "rank.k.rated": "Ratings", "rank.k.response": "City response rate", "rank.k.resolution": "City resolution rate",
      "rank.k.satisfaction": "City satisfaction rate", "rank.c.rank": "Rank", "rank.c.department": "Department",
      "rank.excluded": "{n} excluded by appeal", "rank.excluded.list": "Excluded by upheld appeals (out of the rates): {list}",
      "rank.excluded.item": "{name} {tickets} tickets ({ratings} ratings)", "rank.d.appeals.t": "Appeals",
      "rank.d.appeals": "Once a department's appeal is upheld, the ticket's ratings of that department count in none of its rates nor the city's; a reversal counts them again.",
      "rank.c.rated": "Ratings", "rank.c.response": "Response", "rank.c.resolution": "Resolution",
      "rank.c.satisfaction": "Satisfaction", "rank.c.score": "Score", "rank.empty": "No ratings this month yet.",
      "rank.caption": "Departments by the three rates, {month} (compared with {previous})",
      "rank.new": "new", "rank.same": "same", "rank.up": "up {n}", "rank.down": "down {n}",
      "rank.delta.up": "{n} points higher than the month before", "rank.delta.down": "{n} points lower than the month before",
      "rank.defs": "Definitions",
      "rank.d.response": "Ratings where the citizen says the department contacted them and dispatch recorded the first contact by its deadline, ÷ ratings.",
      "rank.d.resolution": "Ratings where the citizen says the problem is solved ÷ ratings.",
      "rank.d.satisfaction": "(satisfied + mostly satisfied × {basic}) ÷ ratings.",
      "rank.d.score": "response × {response} + resolution × {resolution} + satisfaction × {satisfaction}.",
      "rank.d.attribution.t": "Attribution",
      "rank.d.attribution": "Each rating counts for the round's lead department only; co-handling departments are not scored. A reopened ticket counts once per rated round, in the month of that rating.",
      "rank.d.change.t": "Change",
      "rank.d.change": "Percentage points against the month before, from unrounded values, then rounded; rank change is last month's rank minus this month's.",
    },
  });

  const $ = (id) => document.getElementById(id);
  const RATES = ["response", "resolution", "satisfaction", "score"];
  let data = null;

  const pct = (n) => `${n.toFixed(2)}%`;
  const fmtInt = (n) => new Intl.NumberFormat(Hotline.lang() === "zh" ? "zh-CN" : "en").format(n);

  function shift(month, by) {
    const [y, m] = month.split("-").map(Number);
    const d = new Date(Date.UTC(y, m - 1 + by, 1));
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  }

  function monthLabel(month) {
    const [y, m] = month.split("-").map(Number);
    return new Intl.DateTimeFormat(Hotline.lang() === "zh" ? "zh-CN" : "en-GB",
      { year: "numeric", month: "long", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, 1)));
  }

  function delta(value) {
    if (value === null || value === undefined) return null;
    const n = Math.abs(value).toFixed(2);
    if (value > 0) return Hotline.el("span", { class: "delta up", title: Hotline.t("rank.delta.up", { n }) }, `▲ ${n}`);
    if (value < 0) return Hotline.el("span", { class: "delta down", title: Hotline.t("rank.delta.down", { n }) }, `▼ ${n}`);
    return Hotline.el("span", { class: "delta same" }, "— 0.00");
  }

  function rankMove(row) {
    const c = row.rank_change;
    if (c === null) return Hotline.el("span", { class: "delta new" }, Hotline.t("rank.new"));
    if (c > 0) return Hotline.el("span", { class: "delta up" }, `↑ ${Hotline.t("rank.up", { n: c })}`);
    if (c < 0) return Hotline.el("span", { class: "delta down" }, `↓ ${Hotline.t("rank.down", { n: -c })}`);
    return Hotline.el("span", { class: "delta same" }, Hotline.t("rank.same"));
  }

  function tone(value) { return value >= 90 ? "pct good" : value < 70 ? "pct bad" : "pct"; }

  function row(r) {
    const cells = RATES.map((name) => Hotline.el("td", { class: "num" },
      Hotline.el("span", { class: tone(r.rates[name]) }, name === "score" ? r.rates[name].toFixed(2) : pct(r.rates[name])),
      r.changes ? delta(r.changes[name]) : null));
    return Hotline.el("tr", {},
      Hotline.el("td", {}, Hotline.el("span", { class: r.rank <= 3 ? "rank top" : "rank" }, r.rank), rankMove(r)),
      Hotline.el("th", { scope: "row", class: "dept" }, r.department_name,
        Hotline.el("span", { class: "delta same" }, r.department_code)),
      Hotline.el("td", { class: "num" }, fmtInt(r.rated), r.excluded_tickets
        ? Hotline.el("span", { class: "delta same excluded" }, Hotline.t("rank.excluded", { n: r.excluded_tickets })) : null),
      ...cells);
  }

  function render() {
    if (!data) return;
    const total = data.total;
    $("k-departments").textContent = fmtInt(data.rows.length);
    $("k-rated").textContent = total ? fmtInt(total.rated) : "—";
    for (const name of ["response", "resolution", "satisfaction"]) {
      $(`k-${name}`).textContent = total ? pct(total.rates[name]) : "—";
    }
    $("caption").textContent = Hotline.t("rank.caption",
      { month: monthLabel(data.month), previous: monthLabel(data.previous_month) });
    document.querySelector("#ranking tbody").replaceChildren(...data.rows.map(row));
    $("empty").hidden = data.rows.length > 0;
    const excluded = (data.excluded || []).map((e) => Hotline.t("rank.excluded.item",
      { name: e.department_name, tickets: e.tickets, ratings: e.ratings }));
    $("excluded").textContent = Hotline.t("rank.excluded.list", { list: excluded.join("；") });
    $("excluded").hidden = excluded.length === 0;
    $("partial").hidden = data.month !== data.current_month;
    const w = data.weights;
    $("d-satisfaction").textContent = Hotline.t("rank.d.satisfaction", { basic: w.basically_satisfied });
    $("d-score").textContent = Hotline.t("rank.d.score", w);
    $("month").max = data.current_month;
    $("next").disabled = data.month >= data.current_month;
    const lang = Hotline.lang();
    $("csv").href = `${Hotline.BASE}/api/v1/rankings/${data.month}.csv?lang=${lang}`;
    $("ratings-csv").href = `${Hotline.BASE}/api/v1/rankings/${data.month}/ratings.csv`;
  }

  async function load(month) {
    $("problem").textContent = "";
    try {
      data = await Hotline.api(month ? `/api/v1/rankings/${month}` : "/api/v1/rankings");
      $("month").value = data.month;
      if (month) history.replaceState(null, "", `?month=${data.month}`);
      render();
    } catch (problem) {
      $("problem").textContent = problem.body?.detail || Hotline.t("common.error");
    }
  }

  async function start() {
    const user = await FeedbackStaff.start("rank.title", "rankings");
    if (!user) return;
    $("prev").addEventListener("click", () => load(shift($("month").value, -1)));
    $("next").addEventListener("click", () => load(shift($("month").value, 1)));
    $("month").addEventListener("change", (e) => { if (e.target.value) load(e.target.value); });
    document.addEventListener("hotline:lang", render);
    await load(new URLSearchParams(location.search).get("month"));
  }

  start();
})();
