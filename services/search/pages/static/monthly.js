// The monthly report (月度报告): a month's figures section by section, as the server lays
// them out for the XLSX and the PDF (the dashboard's own figures), with the two downloads.
"use strict";
(() => {
  Hotline.messages({
    zh: { "monthly.title": "月度报告", "monthly.month": "统计月份", "monthly.xlsx": "下载 Excel",
      "monthly.pdf": "下载 PDF", "monthly.none": "本月暂无数据" },
    en: { "monthly.title": "Monthly report", "monthly.month": "Month", "monthly.xlsx": "Download Excel",
      "monthly.pdf": "Download PDF", "monthly.none": "Nothing this month" },
  });

  const $ = (id) => document.getElementById(id);
  const { el, t } = Hotline;
  const NUMERIC = new Set(["count", "rate", "number"]);

  function shown(value, kind) {
    if (value == null) return "–";
    if (kind === "rate") return `${(value * 100).toFixed(2)}%`;
    if (kind === "number") return value.toFixed(1);
    if (kind === "count") return value.toLocaleString();
    return String(value);
  }

  function kindOf(section, row, column) {
    const kind = section.columns[column].kind;
    const value = section.rows[row][column];
    return kind === "text" && section.kinds.length && typeof value === "number" ? section.kinds[row] : kind;
  }

  function table(section) {
    const head = el("tr", {}, ...section.columns.map((c) =>
      el("th", { scope: "col", class: NUMERIC.has(c.kind) ? "num" : "" }, c.title)));
    const rows = section.rows.map((row, r) => el("tr", {}, ...row.map((value, c) => {
      const kind = kindOf(section, r, c);
      return el("td", { class: NUMERIC.has(kind) ? "num" : "" }, shown(value, kind));
    })));
    const body = rows.length ? rows : [el("tr", {}, el("td", { colspan: section.columns.length, class: "muted" }, t("monthly.none")))];
    return el("table", { id: `section-${section.key}` }, el("thead", {}, head), el("tbody", {}, ...body));
  }

  function render(report) {
    $("stamp").textContent = report.stamp;
    $("sections").replaceChildren(...report.sections.map((s) => el("section", { class: "card", "aria-labelledby": `title-${s.key}` },
      el("h2", { id: `title-${s.key}` }, s.title), table(s))));
  }

  function previousMonth() {
    // Beijing time: the month a leader reports on is the one that ended last.
    const now = new Date(Date.now() + 8 * 3600e3);
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    return d.toISOString().slice(0, 7);
  }

  async function load() {
    const month = $("month").value;
    if (!month) return;
    const lang = Hotline.lang();
    history.replaceState(null, "", `?month=${month}`);
    $("xlsx").href = `${Hotline.BASE}/api/v1/reports/${month}.xlsx?lang=${lang}`;
    $("pdf").href = `${Hotline.BASE}/api/v1/reports/${month}.pdf?lang=${lang}`;
    try {
      render(await Hotline.api(`/api/v1/reports/${month}?lang=${lang}`));
      $("problem").textContent = "";
    } catch (problem) {
      $("problem").textContent = problem.message;
      $("sections").replaceChildren();
    }
  }

  $("month").addEventListener("change", load);
  $("choose").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  document.addEventListener("hotline:lang", load);
  (async () => {
    await Hotline.header("monthly.title");
    Hotline.translate();
    const now = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
    $("month").max = now;
    $("month").value = new URLSearchParams(location.search).get("month") || previousMonth();
    load();
  })();
})();
