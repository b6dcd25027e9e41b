// The department workbench: the inbox by nearest deadline, one assignment's detail and the
// actions its state allows. Everything goes through the dispatch API with the session cookie.
"use strict";
(() => {
  const { api, t, el, fmtTime, showErrors } = Hotline;
  Hotline.messages({
    zh: {
      "wb.title": "承办单位工作台", "wb.inbox": "待办", "wb.filter": "显示", "wb.filter.open": "进行中",
      "wb.filter.closed": "已办结/已退回", "wb.filter.all": "全部", "wb.refresh": "刷新",
      "wb.keys": "键盘：", "wb.keys.move": "切换工单", "wb.pick": "请从左侧选择一个工单",
      "wb.summary": "共 {n} 件 · 待签收 {new} · 临期 {warn} · 超期 {bad}", "wb.empty": "没有需要办理的工单",
      "wb.description": "诉求内容", "wb.area": "地点", "wb.caller": "来电人", "wb.caller.number": "留有号码（由话务员回访）", "wb.caller.anonymous": "匿名来电", "wb.category": "分类",
      "wb.role": "承办角色", "wb.rule": "派单依据", "wb.dispatched": "派单时间", "wb.round": "轮次",
      "wb.clocks": "办理时限", "wb.clock": "环节", "wb.due": "时限（北京时间）", "wb.state": "状态",
      "wb.history": "办理记录", "wb.acknowledge": "签收", "wb.contact": "记录联系市民",
      "wb.contact.note": "联系情况", "wb.contact.save": "保存联系记录", "wb.progress": "办理进展",
      "wb.progress.note": "进展说明", "wb.progress.save": "添加进展", "wb.resolve": "办结",
      "wb.resolve.outcome": "办理结果", "wb.resolve.save": "办结", "wb.resolve.hint": "办结前须先联系市民。",
      "wb.return": "退单", "wb.return.reason": "退单原因", "wb.return.text": "具体说明",
      "wb.return.save": "确认退单", "wb.extension": "申请延期", "wb.extension.due": "申请延至（北京时间）",
      "wb.extension.reason": "延期理由", "wb.extension.save": "提交延期申请",
      "wb.extension.pending": "延期申请待审批：延至 {due}", "wb.pause": "等待市民（暂停计时）",
      "wb.pause.reason": "等待原因", "wb.pause.save": "暂停计时", "wb.resume": "恢复计时",
      "wb.done": "已保存", "wb.returned.by": "{who} 于 {at} 退单：{reason}",
      "wb.outcome": "办理结果", "wb.note": "说明", "wb.supervised": "该工单已列入督办，请优先办理。",
      "wb.photos.before": "现场照片（处理前，最多 3 张）", "wb.photos.after": "现场照片（处理后，最多 3 张）",
      "wb.photo": "现场照片 {n}", "wb.appeal": "申诉（非本单位职责 / 考核结果）",
    },
    en: {
      "wb.title": "Department workbench", "wb.inbox": "Inbox", "wb.filter": "Show", "wb.filter.open": "Open",
      "wb.filter.closed": "Resolved/returned", "wb.filter.all": "All", "wb.refresh": "Refresh",
      "wb.keys": "Keyboard:", "wb.keys.move": "move between tickets", "wb.pick": "Pick a ticket on the left",
      "wb.summary": "{n} in all · {new} to acknowledge · {warn} due soon · {bad} overdue",
      "wb.empty": "Nothing to do", "wb.description": "Request", "wb.area": "Place", "wb.caller": "Caller", "wb.caller.number": "Left a number (agents call back)", "wb.caller.anonymous": "Anonymous",
      "wb.category": "Category", "wb.role": "Role", "wb.rule": "Routed by", "wb.dispatched": "Dispatched",
      "wb.round": "Round", "wb.clocks": "Deadlines", "wb.clock": "Step", "wb.due": "Deadline (Beijing)",
      "wb.state": "State", "wb.history": "History", "wb.acknowledge": "Acknowledge",
      "wb.contact": "Record contact with the citizen", "wb.contact.note": "What was said",
      "wb.contact.save": "Save contact", "wb.progress": "Progress", "wb.progress.note": "Progress note",
      "wb.progress.save": "Add note", "wb.resolve": "Resolve", "wb.resolve.outcome": "Outcome",
      "wb.resolve.save": "Resolve", "wb.resolve.hint": "Contact the citizen before resolving.",
      "wb.return": "Return", "wb.return.reason": "Reason", "wb.return.text": "Explanation",
      "wb.return.save": "Return the ticket", "wb.extension": "Ask for more time",
      "wb.extension.due": "New deadline (Beijing time)", "wb.extension.reason": "Why",
      "wb.extension.save": "Ask for extension", "wb.extension.pending": "Extension waiting for a decision: to {due}",
      "wb.pause": "Waiting on the citizen (pause clocks)", "wb.pause.reason": "What we wait for",
      "wb.pause.save": "Pause clocks", "wb.resume": "Resume clocks", "wb.done": "Saved",
      "wb.returned.by": "Returned by {who} at {at}: {reason}", "wb.outcome": "Outcome", "wb.note": "Note",
      "wb.supervised": "This ticket is under supervision: handle it first.",
      "wb.photos.before": "Photos from the field (before, up to 3)", "wb.photos.after": "Photos from the field (after, up to 3)",
      "wb.photo": "Field photo {n}", "wb.appeal": "Appeal (not ours / the assessment)",
    },
  });

  const state = { items: [], selected: null, detail: null };
  const inbox = document.getElementById("inbox");
  const panel = document.getElementById("detail");
  const filter = document.getElementById("filter");

  function severity(a) {
    const next = Dispatch.nextClock(a);
    if (!next) return "idle";
    if (new Date(next.due_at) <= Date.now() || a.sla_state === "breached") return "bad";
    return new Date(next.warn_at) <= Date.now() || a.sla_state === "warned" ? "warn" : "ok";
  }

  function badges(a) {
    const out = [el("span", { class: "badge" }, Hotline.label("assignment_status", a.status))];
    if (a.ticket_urgency === "urgent") out.push(el("span", { class: "badge bad" }, t("urgency.urgent")));
    if (a.supervised) out.push(el("span", { class: "badge bad" }, t("badge.supervised")));
    if (a.waiting) out.push(el("span", { class: "badge warn" }, t("badge.waiting")));
    if (a.role === "co") out.push(el("span", { class: "badge" }, Hotline.label("handling_role", "co")));
    return out;
  }

  function renderList() {
    const items = state.items;
    const counts = { new: 0, warn: 0, bad: 0 };
    items.forEach((a) => {
      if (a.status === "dispatched") counts.new += 1;
      const s = severity(a);
      if (s === "warn" || s === "bad") counts[s] += 1;
    });
    document.getElementById("summary").textContent = t("wb.summary", { n: items.length, ...counts });
    if (!items.length) { inbox.replaceChildren(el("li", { class: "placeholder" }, t("wb.empty"))); return; }
    inbox.replaceChildren(...items.map((a) => {
      const next = Dispatch.nextClock(a);
      const button = el("button", { type: "button", class: "item " + severity(a), "data-id": a.id,
        "aria-current": a.id === state.selected ? "true" : "false", onclick: () => select(a.id) },
        el("span", { class: "num" }, a.ticket_number || a.ticket_id, " ", ...badges(a)),
        el("span", { class: "when" }, next ? Dispatch.countdown(next.due_at, next.warn_at, next.clock) : ""),
        el("span", { class: "what" }, [a.ticket_category_name, a.ticket_area_name].filter(Boolean).join(" · ")));
      return el("li", {}, button);
    }));
  }

  // Re-rendering the detail rebuilds its forms, so only an action or a new filter does it:
  // the periodic refresh touches the list alone and never wipes what someone is typing.
  async function load({ detail = true } = {}) {
    try {
      state.items = await api(`/api/v1/assignments?status=${filter.value}&sort=deadline&limit=200`);
    } catch (problem) {
      inbox.replaceChildren(el("li", { class: "notice bad", role: "alert" }, problem.message));
      return;
    }
    renderList();
    if (detail && state.selected) await select(state.selected, false);
  }

  async function select(id, focusPanel = true) {
    state.selected = id;
    inbox.querySelectorAll("button.item").forEach((b) => b.setAttribute("aria-current", String(b.dataset.id === id)));
    try {
      state.detail = await api(`/api/v1/assignments/${id}`);
    } catch (problem) {
      panel.replaceChildren(el("p", { class: "notice bad", role: "alert" }, problem.message));
      return;
    }
    renderDetail();
    if (focusPanel) panel.querySelector("h2")?.focus();
  }

  function fact(label, value) { return [el("dt", {}, t(label)), el("dd", {}, value ?? "—")]; }

  function clocksTable(a) {
    const rows = ["acknowledge", "contact", "resolve"].map((name) => {
      const c = a.clocks[name];
      if (!c) return null;
      const status = c.breached_at && c.state !== "stopped" ? el("span", { class: "badge bad" }, t("sla_state.breached"))
        : el("span", { class: "badge" + (c.breached_at ? " bad" : c.state === "stopped" ? " ok" : "") },
          c.breached_at ? t("sla_state.breached") : Hotline.label("clock_state", c.state));
      const live = c.state === "running" ? Dispatch.countdown(c.due_at, c.warn_at) : "";
      return el("tr", {}, el("td", {}, t("clock." + name)), el("td", {}, fmtTime(c.due_at),
        c.basis ? el("small", { class: "muted" }, " " + t("basis." + c.basis)) : null),
        el("td", {}, status, " ", live));
    });
    return el("table", { class: "clocks" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("wb.clock")), el("th", { scope: "col" }, t("wb.due")),
        el("th", { scope: "col" }, t("wb.state")))),
      el("tbody", {}, rows.filter(Boolean)));
  }

  function historyList(a) {
    return el("ol", { class: "history" }, a.history.map((h) => {
      const d = h.detail || {};
      const words = d.note || d.outcome || d.reason || "";
      const reason = d.reason_code ? t("reason." + d.reason_code) + "：" : "";
      const tone = h.type === "SlaBreached" ? "bad" : h.type === "SlaWarningRaised" ? "warn" : "";
      const clock = d.clock ? "（" + t("clock." + d.clock) + "）" : "";
      return el("li", { class: tone }, el("strong", {}, t("ev." + h.type), clock), " ",
        el("span", { class: "who" }, Dispatch.who(h.by), " · ", fmtTime(h.at)),
        words || reason ? el("div", {}, reason + words) : null, thumbnails(d.photos));
    }));
  }

  // Thumbnails of field photos, each opening the photo as intake serves it.
  function thumbnails(ids) {
    if (!ids || !ids.length) return null;
    return el("div", { class: "photos" }, ids.map((id, i) => el("a", {
      href: Hotline.link("intake", `/media/${encodeURIComponent(id)}`), target: "_blank", rel: "noopener" },
    el("img", { src: Hotline.link("intake", `/media/${encodeURIComponent(id)}/thumbnail`),
      alt: t("wb.photo", { n: i + 1 }), loading: "lazy" }))));
  }

  // A file picker that uploads through the page kit's photos widget (intake's upload) and
  // keeps the ids it returns for the form; none where the widget is not loaded.
  function photoField(id, labelKey) {
    const picked = { ids: [] };
    if (typeof HotlinePhotos === "undefined") return { nodes: [], picked: null, attach() {} };
    const input = el("input", { id, name: "photos", type: "file", accept: "image/jpeg,image/png,image/webp",
      multiple: true });
    const nodes = [el("label", { for: id }, t(labelKey)), input, el("p", { class: "error", "data-for": "photos" })];
    // Once the input is in its form: the widget puts its thumbnails right after it.
    const attach = () => HotlinePhotos.attach(input, { max: 3, onChange(ids) { picked.ids = ids; } });
    return { nodes, picked, attach };
  }

  function textForm(id, labelKey, saveKey, field, path, { primary = false, extra = [], photos = null } = {}) {
    const evidence = photos ? photoField(`${id}-photos`, photos) : { nodes: [], picked: null, attach() {} };
    const form = el("form", { novalidate: true },
      el("label", { for: id, "data-i18n": labelKey }, t(labelKey)),
      el("textarea", { id, name: field, required: true }),
      el("p", { class: "error", "data-for": field }),
      ...evidence.nodes,
      ...extra,
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" }, el("button", { type: "submit", class: primary ? "primary" : "secondary" }, t(saveKey))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = { [field]: form.elements[field].value };
      if (evidence.picked) body.photos = evidence.picked.ids;
      act(path, form, body);
    });
    evidence.attach();
    return form;
  }

  async function act(path, form, body) {
    try {
      await Hotline.once(`/api/v1/assignments/${state.selected}/${path}`, { body });
      Dispatch.announce(t("wb.done"));
      await load();
    } catch (problem) {
      if (form) showErrors(form, problem); else Dispatch.announce(problem.message);
      if (!form) panel.prepend(el("p", { class: "notice bad", role: "alert" }, problem.message));
    }
  }

  function returnForm() {
    const reasons = ["not_our_duty", "wrong_address", "duplicate", "other_level", "other"];
    const form = el("form", { novalidate: true },
      el("label", { for: "return-code" }, t("wb.return.reason")),
      el("select", { id: "return-code", name: "reason_code" }, reasons.map((r) => el("option", { value: r }, t("reason." + r)))),
      el("label", { for: "return-text" }, t("wb.return.text")),
      el("textarea", { id: "return-text", name: "reason", required: true }),
      el("p", { class: "error", "data-for": "reason" }),
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" }, el("button", { type: "submit", class: "secondary" }, t("wb.return.save"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      act("return", form, { reason_code: form.elements.reason_code.value, reason: form.elements.reason.value });
    });
    return el("details", {}, el("summary", {}, t("wb.return")), form);
  }

  function extensionForm(a) {
    if (a.pending_extension) {
      return el("p", { class: "notice" }, t("wb.extension.pending", { due: fmtTime(a.pending_extension.new_due) }));
    }
    const form = el("form", { novalidate: true },
      el("label", { for: "ext-due" }, t("wb.extension.due")),
      el("input", { id: "ext-due", name: "new_due", type: "datetime-local", required: true }),
      el("p", { class: "error", "data-for": "new_due" }),
      el("label", { for: "ext-reason" }, t("wb.extension.reason")),
      el("textarea", { id: "ext-reason", name: "reason", required: true }),
      el("p", { class: "error", "data-for": "reason" }),
      el("p", { class: "error", "data-for": "_", role: "alert" }),
      el("div", { class: "row" }, el("button", { type: "submit", class: "secondary" }, t("wb.extension.save"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const local = form.elements.new_due.value;
      // The picker speaks Beijing time whatever the browser's zone.
      const due = local ? `${local}:00+08:00` : "";
      act("extensions", form, { new_due: due, reason: form.elements.reason.value });
    });
    return el("details", {}, el("summary", {}, t("wb.extension")), form);
  }

  function pauseControl(a) {
    if (a.waiting) {
      return el("div", { class: "row" }, el("button", { type: "button", class: "secondary",
        onclick: () => act("resume", null, {}) }, t("wb.resume")));
    }
    return el("details", {}, el("summary", {}, t("wb.pause")),
      textForm("pause-reason", "wb.pause.reason", "wb.pause.save", "note", "pause"));
  }

  function actions(a) {
    if (a.status === "dispatched") {
      return [el("div", { class: "row" }, el("button", { type: "button", class: "primary", id: "acknowledge",
        onclick: () => act("acknowledge", null, {}) }, t("wb.acknowledge"))), returnForm()];
    }
    if (a.status !== "acknowledged") return [];
    const resolve = textForm("resolve-outcome", "wb.resolve.outcome", "wb.resolve.save", "outcome", "resolve", {
      primary: true, photos: "wb.photos.after",
      extra: a.contacted_at ? [] : [el("p", { class: "muted" }, t("wb.resolve.hint"))] });
    return [
      el("h3", {}, t("wb.contact")),
      textForm("contact-note", "wb.contact.note", "wb.contact.save", "note", "contact", { photos: "wb.photos.before" }),
      el("h3", {}, t("wb.resolve")), resolve,
      el("details", {}, el("summary", {}, t("wb.progress")),
        textForm("progress-note", "wb.progress.note", "wb.progress.save", "note", "notes")),
      pauseControl(a), extensionForm(a), returnForm(),
    ];
  }

  function renderDetail() {
    const a = state.detail;
    if (!a) return;
    const heading = el("h2", { tabindex: "-1" }, a.ticket_number || a.ticket_id, " ", ...badges(a));
    const returned = a.status === "returned" ? el("p", { class: "notice" }, t("wb.returned.by", {
      who: a.returned_by, at: fmtTime(a.returned_at), reason: t("reason." + a.return_reason_code) + " · " + a.return_reason })) : null;
    panel.replaceChildren(...[
      heading,
      a.supervised ? el("p", { class: "notice bad" }, t("wb.supervised")) : null,
      returned,
      el("dl", { class: "facts" },
        ...fact("wb.category", a.ticket_category_name), ...fact("wb.area", a.ticket_area_name),
        ...fact("wb.caller", t(a.has_phone ? "wb.caller.number" : "wb.caller.anonymous")), ...fact("wb.role", Hotline.label("handling_role", a.role) + " · " + a.department_name),
        ...fact("wb.rule", Dispatch.rule(a.rule)), ...fact("wb.round", String(a.round)),
        ...fact("wb.dispatched", fmtTime(a.dispatched_at))),
      el("h3", {}, t("wb.description")), el("p", { class: "description" }, a.ticket_description || ""),
      a.outcome ? el("p", {}, el("strong", {}, t("wb.outcome"), "："), a.outcome) : null,
      el("h3", {}, t("wb.clocks")), clocksTable(a),
      el("div", { class: "actions" }, actions(a)),
      // Appeals are feedback's: its page files them, for this assignment.
      el("p", {}, el("a", { id: "appeal", href: Hotline.link("feedback", `/appeals?assignment=${encodeURIComponent(a.id)}`) },
        t("wb.appeal"))),
      el("h3", {}, t("wb.history")), historyList(a)].filter(Boolean));
  }

  function move(step) {
    const ids = state.items.map((a) => a.id);
    if (!ids.length) return;
    const at = ids.indexOf(state.selected);
    const next = ids[Math.max(0, Math.min(ids.length - 1, at + step))] || ids[0];
    select(next, false).then(() => inbox.querySelector(`button[data-id="${next}"]`)?.focus());
  }

  inbox.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); move(e.key === "ArrowDown" ? 1 : -1); }
  });
  filter.addEventListener("change", () => load());
  document.getElementById("refresh").addEventListener("click", () => load());
  document.addEventListener("hotline:lang", () => { renderList(); renderDetail(); });

  Hotline.translate();
  Hotline.header("wb.title").then((user) => { if (user) load(); });
  setInterval(() => load({ detail: false }), 60000);
})();
