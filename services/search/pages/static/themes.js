// 每月一题: leaders turn a problem class into a theme (from a hot spot or by hand), give it
// tasks and follow its progress and before/after chart; dispatchers note progress and open
// proactive tickets (未诉先办) from it.
"use strict";
(() => {
  Hotline.messages({
    zh: { "theme.page": "每月一题", "theme.list": "专题", "theme.create": "新建专题", "theme.title": "专题名称",
      "theme.hotspot": "来自热点（分类@街道）", "theme.category": "或：分类编码（任一级）",
      "theme.areas": "区域编码（逗号分隔）", "theme.lead": "牵头单位编码", "theme.co": "配合单位编码（逗号分隔）",
      "theme.starts": "开始日期", "theme.tasks": "任务", "theme.task": "任务", "theme.owner": "责任单位编码",
      "theme.add_task": "添加任务", "theme.notes": "进展", "theme.note": "进展情况", "theme.add_note": "记录进展",
      "theme.proactive": "主动立单（未诉先办）", "theme.progress": "任务 {done}/{tasks} 完成，{overdue} 项逾期",
      "theme.change": "周均件数 {before} → {since}（{change}）", "theme.c.title": "专题", "theme.c.class": "问题类别",
      "theme.c.progress": "任务进度", "theme.c.change": "周均变化", "theme.c.status": "状态",
      "theme.c.week": "周", "theme.c.phase": "阶段", "theme.c.tickets": "件数", "theme.c.due": "期限",
      "theme.c.owner": "责任单位", "theme.c.done": "完成", "theme.before": "开展前", "theme.since": "开展以来",
      "theme.c.weekly": "周均件数", "theme.c.response": "响应率", "theme.c.solution": "解决率",
      "theme.c.satisfaction": "满意率", "theme.c.sla": "按时办结率", "theme.overdue": "逾期",
      "theme.mark_done": "标为完成", "theme.undo": "撤销", "theme.active": "进行中", "theme.closed": "已结束",
      "theme.lead_is": "牵头：{lead}；配合：{co}", "theme.none": "暂无",
      "theme.close": "结束专题", "theme.reopen": "重新开展" },
    en: { "theme.page": "Monthly themes", "theme.list": "Themes", "theme.create": "New theme", "theme.title": "Title",
      "theme.hotspot": "From a hot spot (category@street)", "theme.category": "Or: category code (any level)",
      "theme.areas": "Area codes (comma-separated)", "theme.lead": "Lead department code", "theme.co": "Co-department codes (comma-separated)",
      "theme.starts": "Starts on", "theme.tasks": "Tasks", "theme.task": "Task", "theme.owner": "Owner department code",
      "theme.add_task": "Add task", "theme.notes": "Progress", "theme.note": "What happened", "theme.add_note": "Note progress",
      "theme.proactive": "Open a proactive ticket", "theme.progress": "Tasks {done}/{tasks} done, {overdue} overdue",
      "theme.change": "Tickets a week {before} → {since} ({change})", "theme.c.title": "Theme", "theme.c.class": "Problem class",
      "theme.c.progress": "Tasks", "theme.c.change": "Weekly change", "theme.c.status": "Status",
      "theme.c.week": "Week", "theme.c.phase": "Phase", "theme.c.tickets": "Tickets", "theme.c.due": "Due",
      "theme.c.owner": "Owner", "theme.c.done": "Done", "theme.before": "Before", "theme.since": "Since",
      "theme.c.weekly": "Tickets a week", "theme.c.response": "Response", "theme.c.solution": "Solution",
      "theme.c.satisfaction": "Satisfaction", "theme.c.sla": "On time", "theme.overdue": "overdue",
      "theme.mark_done": "Mark done", "theme.undo": "Undo", "theme.active": "Active", "theme.closed": "Closed",
      "theme.lead_is": "Lead: {lead}; with: {co}", "theme.none": "none",
      "theme.close": "Close the theme", "theme.reopen": "Reopen the theme" },
  });
  const $ = (id) => document.getElementById(id);
  const { el, t } = Hotline;
  const given = new URLSearchParams(location.search);
  let user = null;
  let theme = null;
  let themes = [];

  const pct = (v) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);
  const change = (v) => (v == null ? "–" : `${v > 0 ? "+" : ""}${(v * 100).toFixed(1)}%`);
  const weekly = (v) => (v == null ? "–" : v.toFixed(2));
  const dept = (th, code) => th.department_names?.[code] || code;

  function table(node, head, rows) {
    node.replaceChildren(el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, t(h))))),
      el("tbody", {}, ...(rows.length ? rows : [[t("theme.none")]]).map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))))));
  }

  function className(th) {
    return `${th.category_name || th.category_code} · ${th.area_codes.map((a) => th.area_names?.[a] || a).join("、")}`;
  }

  function renderList() {
    table($("themes"), ["theme.c.title", "theme.c.class", "theme.c.progress", "theme.c.change", "theme.c.status"],
      themes.map((th) => [el("a", { href: `${Hotline.BASE}/themes?id=${encodeURIComponent(th.id)}` }, th.title), className(th),
        `${th.progress.done}/${th.progress.tasks}${th.progress.overdue ? ` · ${th.progress.overdue} ${t("theme.overdue")}` : ""}`,
        change(th.volume.change), t(`theme.${th.status}`)]));
  }

  function renderDetail() {
    const th = theme;
    $("detail").hidden = false;
    $("theme-title").textContent = th.title;
    $("theme-class").textContent = `${className(th)} · ${t("theme.lead_is", { lead: dept(th, th.lead_department),
      co: th.co_departments.map((c) => dept(th, c)).join("、") || t("theme.none") })}`;
    $("theme-progress").textContent = `${t("theme.progress", th.progress)}；${t("theme.change", {
      before: weekly(th.volume.before_weekly), since: weekly(th.volume.since_weekly), change: change(th.volume.change) })}`;
    const link = $("proactive");
    link.hidden = !Hotline.may(user, "intake/proactive");
    link.href = Hotline.link("intake", "/proactive?" + new URLSearchParams({ source: `theme:${th.id}`,
      category: th.category_code, area: th.area_codes[0], description: th.title }).toString());
    const weeks = th.chart.weeks;
    $("chart").replaceChildren(Charts.bars(weeks.map((w) => ({ label: `${w.week.slice(5)} ${t(`theme.${w.phase}`)}`, value: w.tickets })),
      { title: t("theme.c.tickets"), color: "#1565c0" }));
    table($("weeks"), ["theme.c.week", "theme.c.phase", "theme.c.tickets"], weeks.map((w) => [w.week, t(`theme.${w.phase}`), w.tickets]));
    table($("phases"), ["theme.c.phase", "theme.c.weekly", "theme.c.response", "theme.c.solution", "theme.c.satisfaction", "theme.c.sla"],
      ["before", "since"].map((p) => { const x = th.chart.phases[p];
        return [t(`theme.${p}`), weekly(x.weekly), pct(x.response_rate), pct(x.resolution_rate), pct(x.satisfaction_rate), pct(x.sla_compliance)]; }));
    table($("tasks"), ["theme.task", "theme.c.owner", "theme.c.due", "theme.c.done"], th.tasks.map((k) => [
      k.title, dept(th, k.department_code), `${k.due_on}${k.overdue ? ` · ${t("theme.overdue")}` : ""}`,
      el("button", { type: "button", class: "secondary", onclick: () => mark(k) }, k.done ? `✓ ${t("theme.undo")}` : t("theme.mark_done"))]));
    $("notes").replaceChildren(...th.notes.map((n) => el("li", {}, `${Hotline.fmtTime(n.at)} ${n.by}：${n.text}`)));
    $("task").hidden = !Hotline.may(user, "cue/theme-steer");
    $("status").hidden = !Hotline.may(user, "cue/theme-steer");
    $("status").textContent = t(th.status === "active" ? "theme.close" : "theme.reopen");
  }

  async function act(action) {
    try { $("problem").textContent = ""; await action(); } catch (problem) { $("problem").textContent = problem.message; }
  }

  async function mark(task) {
    await act(async () => {
      theme = await Hotline.api(`/api/v1/themes/${theme.id}/tasks/${task.id}`, { method: "PATCH", body: { done: !task.done } });
      renderDetail();
    });
  }

  function submitter(form, path, bodyOf, after) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const result = await Hotline.once(path(), { body: bodyOf(form) });
        form.querySelectorAll(".error").forEach((n) => { n.textContent = ""; });
        form.reset();
        await after(result);
      } catch (problem) { Hotline.showErrors(form, problem); }
    });
  }

  $("status").addEventListener("click", () => act(async () => {
    const status = theme.status === "active" ? "closed" : "active";
    theme = await Hotline.api(`/api/v1/themes/${theme.id}`, { method: "PATCH", body: { status } });
    renderDetail();
    themes = await Hotline.api("/api/v1/themes");
    renderList();
  }));

  const codes = (text) => text.split(/[,，\s]+/).filter(Boolean);
  const value = (form, name) => form.elements[name].value.trim();

  submitter($("new"), () => "/api/v1/themes", (form) => {
    const body = { title: value(form, "title"), lead_department: value(form, "lead_department"),
      co_departments: codes(value(form, "co_departments")) };
    if (value(form, "hotspot_key")) body.hotspot_key = value(form, "hotspot_key");
    if (value(form, "category_code")) body.category_code = value(form, "category_code");
    if (value(form, "area_codes")) body.area_codes = codes(value(form, "area_codes"));
    if (value(form, "starts_on")) body.starts_on = value(form, "starts_on");
    return body;
  }, (made) => { location.href = `${Hotline.BASE}/themes?id=${encodeURIComponent(made.id)}`; });
  submitter($("task"), () => `/api/v1/themes/${theme.id}/tasks`, (form) => ({ title: value(form, "title"),
    department_code: value(form, "department_code"), due_on: value(form, "due_on") }), (th) => { theme = th; renderDetail(); });
  submitter($("note"), () => `/api/v1/themes/${theme.id}/notes`, (form) => ({ text: value(form, "text") }),
    (th) => { theme = th; renderDetail(); });

  document.addEventListener("hotline:lang", () => { renderList(); if (theme) renderDetail(); });
  (async () => {
    user = await Hotline.header("theme.page");
    Hotline.translate();
    $("create").hidden = !Hotline.may(user, "cue/theme-steer");
    $("hotspot_key").value = given.get("hotspot") || "";
    await act(async () => {
      themes = await Hotline.api("/api/v1/themes");
      renderList();
      if (given.get("id")) { theme = await Hotline.api(`/api/v1/themes/${encodeURIComponent(given.get("id"))}`); renderDetail(); }
    });
  })();
})();
