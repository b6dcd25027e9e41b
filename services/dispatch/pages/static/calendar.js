// The holiday calendar: each known year's days off and make-up workdays (调休), the working
// hours that working-time clocks count, a warning when the known calendar runs out, and for
// admins the import of a year from the file `hotline calendar import` takes.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "cal.title": "节假日与工作时间", "cal.hours": "工作时间",
      "cal.hoursText": "按工作时计算的时限只计工作日的 {opens}–{closes}（北京时间）；按自然时计算的时限每小时都计。",
      "cal.known": "节假日日历已知到 {until}（还剩 {days} 天）。",
      "cal.warning": "节假日日历只到 {until}（还剩 {days} 天）。国务院办公厅公布 {year} 年节假日安排后，请管理员在本页导入，否则此后的工作时限按周一至周五计算。",
      "cal.import": "导入一年的节假日安排",
      "cal.format": "文件格式与 hotline calendar import 相同：JSON，含 year、holidays（放假日期）、workdays（调休上班日期）和 note。",
      "cal.file": "节假日文件（JSON）", "cal.year": "年份", "cal.importSubmit": "导入",
      "cal.preview": "{year} 年：放假 {holidays} 天，调休上班 {workdays} 天。导入后替换该年原有安排；已在计时的派单保持原时限。",
      "cal.badFile": "无法读取该文件：{error}", "cal.done": "已导入 {year} 年节假日安排",
      "cal.years": "已知年份", "cal.holidays": "放假", "cal.workdays": "调休上班",
      "cal.source.imported": "管理员导入", "cal.source.file": "本地文件", "cal.source.package": "内置日历",
      "cal.history": "导入记录", "cal.auditLink": "在审计日志中查看", "cal.none": "无",
      "cal.by": "{by}，{time}",
      "wd.0": "周一", "wd.1": "周二", "wd.2": "周三", "wd.3": "周四", "wd.4": "周五", "wd.5": "周六", "wd.6": "周日",
    },
    en: {
      "cal.title": "Holidays and working hours", "cal.hours": "Working hours",
      "cal.hoursText": "Deadlines in working time count {opens}–{closes} (Beijing time) on working days only; deadlines in natural time count every hour.",
      "cal.known": "The holiday calendar is known until {until} ({days} days left).",
      "cal.warning": "The holiday calendar ends on {until} ({days} days left). Once the State Council publishes the holidays of {year}, an admin must import them here; until then working time after that day counts Monday to Friday.",
      "cal.import": "Import a year's holidays",
      "cal.format": "The same file hotline calendar import takes: JSON with year, holidays (days off), workdays (make-up working days) and note.",
      "cal.file": "Holiday file (JSON)", "cal.year": "Year", "cal.importSubmit": "Import",
      "cal.preview": "{year}: {holidays} days off, {workdays} make-up working days. Importing replaces the year's days; clocks already running keep their deadlines.",
      "cal.badFile": "Cannot read this file: {error}", "cal.done": "Imported the holidays of {year}",
      "cal.years": "Known years", "cal.holidays": "Days off", "cal.workdays": "Make-up working days",
      "cal.source.imported": "imported by an admin", "cal.source.file": "local file", "cal.source.package": "built-in calendar",
      "cal.history": "Imports", "cal.auditLink": "See in the audit log", "cal.none": "none",
      "cal.by": "{by}, {time}",
      "wd.0": "Mon", "wd.1": "Tue", "wd.2": "Wed", "wd.3": "Thu", "wd.4": "Fri", "wd.5": "Sat", "wd.6": "Sun",
    },
  });
  const byId = (id) => document.getElementById(id);
  // Empties the form's error slots (showErrors with no errors would say "something went wrong").
  const clear = (form) => {
    form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  };
  let user = null;
  let chosen = null; // the file's year, as read
  const admin = () => Hotline.may(user, "cue/config-edit");

  function day(iso) {
    const weekday = (new Date(iso + "T00:00:00Z").getUTCDay() + 6) % 7;
    return el("li", { class: weekday >= 5 ? "muted" : "" }, `${iso.slice(5)} ${t("wd." + weekday)}`);
  }

  function days(title, list) {
    return el("div", {}, el("h4", {}, `${title} (${list.length})`),
      list.length ? el("ul", { class: "days" }, list.map(day)) : el("p", { class: "muted" }, t("cal.none")));
  }

  async function history(year) {
    const found = await api(`/api/v1/calendar/${year}`).catch(() => null);
    if (!found || !found.changes.length) return null;
    const rows = found.changes.slice().reverse().map((c) => el("li", {},
      t("cal.by", { by: c.by, time: Hotline.fmtTime(c.at) }),
      typeof HotlineDiff !== "undefined" ? HotlineDiff.render(c.before, c.after) : ""));
    return el("details", {}, el("summary", {}, t("cal.history")), el("ol", { class: "history" }, rows),
      el("a", { href: Hotline.link("search", `/audit?kind=calendar&key=${year}`) }, t("cal.auditLink")));
  }

  async function year(y) {
    const section = el("section", { class: "card year", "data-year": String(y.year), "aria-label": String(y.year) },
      el("h3", {}, `${y.year} `, el("span", { class: "badge" }, t("cal.source." + y.source))),
      el("div", { class: "grid" }, days(t("cal.holidays"), y.holidays), days(t("cal.workdays"), y.workdays)));
    if (admin() && y.source === "imported") {
      const kept = await history(y.year);
      if (kept) section.append(kept);
    }
    return section;
  }

  async function status() {
    const found = await api("/api/v1/calendar").catch(() => null);
    const warning = byId("calendar-warning");
    if (!found) return;
    byId("known").textContent = t("cal.known", { until: found.known_until, days: found.days_left });
    warning.hidden = !found.warning;
    const next = Number(found.known_until.slice(0, 4)) + 1;
    warning.replaceChildren(found.warning ? el("p", { class: "notice bad", role: "alert" },
      t("cal.warning", { until: found.known_until, days: found.days_left, year: next })) : "");
  }

  async function load() {
    status();
    let found;
    try { found = await api("/api/v1/calendar-years"); }
    catch (problem) { byId("years").replaceChildren(el("p", { class: "error" }, problem.message)); return; }
        byId("hours").textContent = t("cal.hoursText", { opens: found.opens, closes: found.closes });
    const sections = await Promise.all(found.years.slice().reverse().map(year));
    byId("years").replaceChildren(...(sections.length ? sections : [el("p", { class: "muted" }, t("common.empty"))]));
  }

  async function read(event) {
    const form = byId("import-form"), preview = byId("import-preview");
    chosen = null;
    preview.hidden = true;
    byId("import-submit").disabled = true;
    clear(form);
    const file = event.target.files[0];
    if (!file) return;
    try {
      const data = JSON.parse(await file.text());
      const year = Number(data.year);
      if (!Number.isInteger(year) || !Array.isArray(data.holidays)) throw new Error("year, holidays");
      chosen = { year, body: { holidays: data.holidays, workdays: data.workdays || [], note: String(data.note || "") } };
    } catch (err) {
      Hotline.showErrors(form, { errors: [{ field: "file", message: t("cal.badFile", { error: err.message }) }] });
      return;
    }
    form.year.value = chosen.year;
    preview.textContent = t("cal.preview", { year: chosen.year, holidays: chosen.body.holidays.length,
      workdays: chosen.body.workdays.length });
    preview.hidden = false;
    byId("import-submit").disabled = false;
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.target;
    if (!chosen) return;
    try {
      await Hotline.once(`/api/v1/calendar/${chosen.year}`, { method: "PUT", body: chosen.body });
    } catch (problem) { Hotline.showErrors(form, problem); return; }
    const done = byId("imported");
    done.textContent = t("cal.done", { year: chosen.year });
    done.hidden = false;
    form.reset();
    byId("import-preview").hidden = true;
    byId("import-submit").disabled = true;
    chosen = null;
    load();
  }

  byId("c-file").addEventListener("change", read);
  byId("import-form").addEventListener("submit", submit);
  document.addEventListener("hotline:lang", load);
  (async () => {
    Hotline.translate();
    user = await Hotline.header("cal.title");
    byId("importer").hidden = !admin();
    load();
  })();
})();
