// The month in public: a published month's tables (suppressed cells marked "<k"), its CSV
// and JSON downloads, its sealed root and the data dictionary. No sign-in: nothing here
// calls the staff API or draws the staff menu.
"use strict";
(() => {
  Hotline.messages({
    zh: {
      "public.title": "12345 市民服务热线 · 月度公开数据", "public.month": "统计月份",
      "public.csv": "下载 CSV", "public.json": "下载 JSON", "public.none": "暂无已公布的月份",
      "public.root": "当月账本封存根", "public.dictionary": "数据字典", "public.field": "字段",
      "public.definition": "定义", "public.unit": "单位", "public.suppression": "不公布规则",
      "public.lead": "每月结束并过了评价与申诉期后，公布当月受理量和各承办单位、街道的三率排名。数量过小的格子不公布，不含任何个人信息。",
      "public.root.how": "当月每一天的记录都已封存。任何人都可以用导出的记录按 docs/ledger.md 所述方法重新计算各日默克尔根和本月封存根，与此处比对：记录被改动过，根就对不上。",
      "public.root.pending": "本月尚有日期未封存；全部封存后在此公布封存根（核验方法见 docs/ledger.md）。",
      "public.rule": "少于 {k} 的数量不公布，显示为 <{k}；参评件少于 {k} 的单位不公布其三率与名次。",
      "public.held": "数量过小，不公布",
      "public.received": "受理量", "public.channels": "按渠道受理量", "public.categories": "按一级分类受理量",
      "public.districts": "按区受理量", "public.city": "全市三率", "public.departments": "承办单位三率排名",
      "public.streets": "街道三率排名", "public.themes": "每月一题进展",
      "col.name": "名称", "col.count": "受理量", "col.rank": "排名", "col.rated": "参评件",
      "col.response_rate": "响应率", "col.resolution_rate": "解决率", "col.satisfaction_rate": "满意率",
      "col.score": "综合得分", "col.title": "题目", "col.starts_on": "开始日期", "col.status": "状态",
      "col.done": "已完成任务", "col.overdue": "超期任务", "col.total": "合计", "public.empty": "无",
      "public.theme.active": "进行中", "public.theme.closed": "已结束",
    },
    en: {
      "public.title": "12345 Citizen Hotline · The month in public", "public.month": "Month",
      "public.csv": "Download CSV", "public.json": "Download JSON", "public.none": "No month published yet",
      "public.root": "The month's sealed ledger root", "public.dictionary": "Data dictionary", "public.field": "Field",
      "public.definition": "Definition", "public.unit": "Unit", "public.suppression": "Suppression",
      "public.lead": "Once a month has ended and its ratings and appeals are in, its tickets and the three rates of every department and street are published here. Small counts are withheld; nothing personal is shown.",
      "public.root.how": "Every day of the month is sealed. Anyone can recompute each day's Merkle root and the month's root from the exported record as docs/ledger.md describes and compare them with this one: a changed record gives another root.",
      "public.root.pending": "Some day of the month is not sealed yet; the root appears here once all are (how to check it: docs/ledger.md).",
      "public.rule": "Counts below {k} are withheld and shown as <{k}; a unit with fewer than {k} ratings has neither rates nor rank shown.",
      "public.held": "Too few to publish",
      "public.received": "Tickets received", "public.channels": "Tickets by channel", "public.categories": "Tickets by top-level category",
      "public.districts": "Tickets by district", "public.city": "City-wide rates", "public.departments": "Departments ranked by the three rates",
      "public.streets": "Streets ranked by the three rates", "public.themes": "Monthly themes",
      "col.name": "Name", "col.count": "Tickets", "col.rank": "Rank", "col.rated": "Ratings",
      "col.response_rate": "Response", "col.resolution_rate": "Resolution", "col.satisfaction_rate": "Satisfaction",
      "col.score": "Score", "col.title": "Title", "col.starts_on": "Began", "col.status": "Status",
      "col.done": "Tasks done", "col.overdue": "Tasks overdue", "col.total": "Total", "public.empty": "None",
      "public.theme.active": "Active", "public.theme.closed": "Closed",
    },
  });

  const $ = (id) => document.getElementById(id);
  const { el, t } = Hotline;
  const API = `${Hotline.BASE}/api/v1/public`;
  const RATES = ["response_rate", "resolution_rate", "satisfaction_rate", "score"];
  let shown = null;
  let dictionary = null;

  function cell(value, kind, held) {
    if (held) return el("td", { class: "num held", title: t("public.held") }, `<${shown.min_count}`);
    if (value == null) return el("td", { class: kind === "text" ? "" : "num" }, "–");
    if (kind === "rate") return el("td", { class: "num" }, `${(value * 100).toFixed(2)}%`);
    return el("td", { class: kind === "text" ? "" : "num" }, String(value));
  }

  function table(name, columns, rows) {
    const head = el("tr", {}, ...columns.map(([key, kind]) =>
      el("th", { scope: "col", class: kind === "text" ? "" : "num" }, t(`col.${key}`))));
    const body = rows.length ? rows : [el("tr", {}, el("td", { colspan: columns.length, class: "muted" }, t("public.empty")))];
    return el("section", { class: "card", "aria-labelledby": `title-${name}` },
      el("h2", { id: `title-${name}` }, t(`public.${name}`)),
      el("table", { id: `table-${name}` }, el("thead", {}, head), el("tbody", {}, ...body)));
  }

  function counts(name, labelOf) {
    const rows = shown[name].map((r) => el("tr", { "data-key": r.key },
      cell(labelOf(r), "text"), cell(r.count, "count", r.suppressed)));
    return table(name, [["name", "text"], ["count", "count"]], rows);
  }

  function ranked(name) {
    const rows = shown[name].map((r) => el("tr", { "data-key": r.key },
      cell(r.rank, "count"), cell(r.label || r.key, "text"), cell(r.rated, "count", r.suppressed),
      ...RATES.map((k) => cell(r[k], "rate", r.suppressed))));
    const columns = [["rank", "count"], ["name", "text"], ["rated", "count"], ...RATES.map((k) => [k, "rate"])];
    return table(name, columns, rows);
  }

  function render() {
    const r = shown.received;
    const city = shown.city;
    const themes = shown.themes.map((th) => el("tr", {},
      cell(th.title, "text"), cell(th.starts_on, "text"), cell(t(`public.theme.${th.status}`), "text"),
      cell(`${th.done} / ${th.tasks}`, "count"), cell(th.overdue, "count")));
    $("tables").replaceChildren(
      table("received", [["total", "count"]], [el("tr", { "data-key": "received" }, cell(r.count, "count", r.suppressed))]),
      counts("channels", (row) => Hotline.label("channel", row.key)),
      counts("categories", (row) => row.label || row.key),
      counts("districts", (row) => row.label || row.key),
      table("city", [["rated", "count"], ...RATES.map((k) => [k, "rate"])], [el("tr", { "data-key": "city" },
        cell(city.rated, "count", city.suppressed), ...RATES.map((k) => cell(city[k], "rate", city.suppressed)))]),
      ranked("departments"), ranked("streets"),
      table("themes", [["title", "text"], ["starts_on", "text"], ["status", "text"], ["done", "count"], ["overdue", "count"]], themes),
    );
    $("seal").hidden = false;
    $("root").textContent = shown.root || "—";
    $("root-how").textContent = t(shown.root ? "public.root.how" : "public.root.pending");
  }

  function renderDictionary() {
    if (!dictionary) return;
    const lang = Hotline.lang();
    $("rule").textContent = t("public.rule", { k: dictionary.min_count });
    $("dictionary").querySelector("tbody").replaceChildren(...dictionary.fields.map((f) => el("tr", {},
      el("td", {}, el("code", {}, f.name)), el("td", {}, f[lang]), el("td", {}, f.unit), el("td", {}, f.suppression[lang]))));
  }

  async function load() {
    // Encoded: the month may come from the address (?month=), and "../" there must not lead
    // the page's requests out of the public API.
    const month = encodeURIComponent($("month").value);
    if (!month) return;
    history.replaceState(null, "", `?month=${month}`);
    $("csv").href = `${API}/months/${month}.csv`;
    $("json").href = `${API}/months/${month}`;
    try {
      shown = await Hotline.api(`/api/v1/public/months/${month}`, { redirectOn401: false });
      $("problem").textContent = "";
      render();
    } catch (problem) {
      $("problem").textContent = problem.message;
      $("tables").replaceChildren();
    }
  }

  function redraw() {
    renderDictionary();
    if (shown) render();
  }

  $("month").addEventListener("change", load);
  $("lang-switch").addEventListener("click", () => Hotline.setLang(Hotline.lang() === "zh" ? "en" : "zh"));
  document.addEventListener("hotline:lang", redraw);
  (async () => {
    Hotline.translate();
    const [listed, words] = await Promise.all([
      Hotline.api("/api/v1/public/months", { redirectOn401: false }),
      Hotline.api("/api/v1/public/dictionary", { redirectOn401: false }),
    ]);
    dictionary = words;
    renderDictionary();
    const months = listed.months.map((m) => m.month);
    $("month").replaceChildren(...months.map((m) => el("option", { value: m }, m)));
    $("none").hidden = months.length > 0;
    const asked = new URLSearchParams(location.search).get("month");
    if (asked && !months.includes(asked)) $("month").prepend(el("option", { value: asked }, asked));
    $("month").value = asked || months[0] || "";
    load();
  })();
})();
