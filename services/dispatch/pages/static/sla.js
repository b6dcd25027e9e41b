// Time limits (SLA policies): every policy's limits and how each counts, the category tree
// with the policy each category takes, pending scheduled changes and the version history.
// Admins edit (at once or from a date); dispatchers and leaders read.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  const CLOCKS = ["acknowledge", "contact", "resolve"];
  const KIND = "sla_policy";
  Hotline.messages({
    zh: {
      "sla.title": "时限政策", "sla.policies": "时限政策", "sla.name": "政策",
      "sla.applies": "修改后的时限只对之后开始计时的派单生效；已在计时的派单保持原来的时限。",
      "sla.order": "紧急工单一律按“urgent”；其余先看类别（最具体的类别优先），再看紧急程度，最后按“general”。",
      "sla.acknowledge": "签收", "sla.contact": "联系", "sla.resolve": "办结",
      "sla.warn": "催办提醒", "sla.extension": "最长延期", "sla.updated": "最后修改",
      "sla.edit": "修改时限政策", "sla.editOne": "修改", "sla.hours": "{clock}时限（小时）",
      "sla.time": "{clock}计时方式", "sla.natural": "自然时间", "sla.working": "工作时间",
      "sla.limit": "{hours} 小时 · {time}", "sla.share": "用去 {pct}% 时",
      "sla.extensionOf": "{hours} 小时",
      "sla.warnShare": "催办提醒（用去时限的比例，0–1）", "sla.extensionHours": "最长延期（小时）",
      "sla.effective": "生效时间（北京时间；留空即刻生效）",
      "sla.saved": "已保存：{name}，立即生效。", "sla.scheduled": "已安排在 {time} 生效。",
      "sla.categories": "类别与时限政策", "sla.category": "类别", "sla.code": "代码",
      "sla.policyOf": "适用政策", "sla.own": "单独设定", "sla.inherited": "沿用 {prefix}",
      "sla.default": "按紧急程度（一般为 general）", "sla.assign": "设定该类别的政策",
      "sla.unassign": "取消单独设定", "sla.set": "设定",
      "sla.pending": "待生效的修改", "sla.effectiveAt": "生效时间", "sla.what": "内容",
      "sla.by": "提交人", "sla.state": "状态", "sla.cancel": "撤销",
      "sla.statePending": "待生效", "sla.stateFailed": "未能生效：{error}",
      "sla.confirmCancel": "撤销这项待生效的修改？",
      "sla.history": "修改记录", "sla.version": "版本", "sla.at": "时间",
      "sla.diff": "修改前后", "sla.changedBy": "修改人", "sla.audit": "审计日志",
      "sla.subject.policy": "政策 {key}", "sla.subject.category": "类别 {key}",
      "sla.subject.book": "初始导入（{key}）",
      "sla.action.create": "新增", "sla.action.change": "修改", "sla.action.delete": "删除",
      "sla.action.import": "导入",
      "sla.field.acknowledge": "签收", "sla.field.contact": "联系", "sla.field.resolve": "办结",
      "sla.field.warn_share": "催办提醒比例", "sla.field.max_extension_hours": "最长延期（小时）",
      "sla.field.policy": "政策", "sla.field.policies": "政策", "sla.field.categories": "类别",
      "sla.field.name": "名称", "sla.field.prefix": "类别",
      "sla.urgency": "适用等级", "sla.anyUrgency": "各等级（紧急除外）", "sla.field.urgency": "适用等级",
    },
    en: {
      "sla.title": "Time limits", "sla.policies": "Time-limit policies", "sla.name": "Policy",
      "sla.applies": "A changed limit applies to clocks started from then on; clocks already running keep their deadlines.",
      "sla.order": "Urgent tickets always take “urgent”; others take their category's policy (the most specific category first), then their urgency's, then “general”.",
      "sla.acknowledge": "Acknowledge", "sla.contact": "Contact", "sla.resolve": "Resolve",
      "sla.warn": "Warning", "sla.extension": "Longest extension", "sla.updated": "Last changed",
      "sla.edit": "Change a policy", "sla.editOne": "Change", "sla.hours": "{clock} limit (hours)",
      "sla.time": "{clock} counts", "sla.natural": "natural hours", "sla.working": "working time",
      "sla.limit": "{hours} h · {time}", "sla.share": "at {pct}% spent",
      "sla.extensionOf": "{hours} h",
      "sla.warnShare": "Warning (share of a limit spent, 0–1)", "sla.extensionHours": "Longest extension (hours)",
      "sla.effective": "Effective from (Beijing time; empty: at once)",
      "sla.saved": "Saved: {name}, in effect now.", "sla.scheduled": "Scheduled for {time}.",
      "sla.categories": "Categories and their policies", "sla.category": "Category", "sla.code": "Code",
      "sla.policyOf": "Policy", "sla.own": "own", "sla.inherited": "from {prefix}",
      "sla.default": "by urgency (general tickets: general)", "sla.assign": "Set this category's policy",
      "sla.unassign": "Remove its own policy", "sla.set": "Set",
      "sla.pending": "Scheduled changes", "sla.effectiveAt": "Effective from", "sla.what": "Change",
      "sla.by": "By", "sla.state": "State", "sla.cancel": "Cancel",
      "sla.statePending": "pending", "sla.stateFailed": "failed: {error}",
      "sla.confirmCancel": "Cancel this scheduled change?",
      "sla.history": "History", "sla.version": "Version", "sla.at": "When",
      "sla.diff": "Before and after", "sla.changedBy": "Changed by", "sla.audit": "Audit log",
      "sla.subject.policy": "policy {key}", "sla.subject.category": "category {key}",
      "sla.subject.book": "first import ({key})",
      "sla.action.create": "created", "sla.action.change": "changed", "sla.action.delete": "removed",
      "sla.action.import": "imported",
      "sla.field.acknowledge": "Acknowledge", "sla.field.contact": "Contact", "sla.field.resolve": "Resolve",
      "sla.field.warn_share": "Warning share", "sla.field.max_extension_hours": "Longest extension (h)",
      "sla.field.policy": "Policy", "sla.field.policies": "Policies", "sla.field.categories": "Categories",
      "sla.field.name": "Name", "sla.field.prefix": "Category",
      "sla.urgency": "For urgency", "sla.anyUrgency": "every urgency but urgent", "sla.field.urgency": "For urgency",
    },
  });
  let user = null;
  let book = { policies: [], categories: [] };
  let categories = [];
  const $ = (id) => document.getElementById(id);
  const editor = () => Hotline.may(user, "cue/config-edit");
  const say = (text) => { $("announce").textContent = text; };

  function limitText(limit) {
    return t("sla.limit", { hours: limit.hours, time: t(`sla.${limit.time}`) });
  }

  function policyRow(p) {
    const edit = editor() ? el("button", { type: "button", class: "secondary",
      onclick: () => fillPolicy(p) }, t("sla.editOne")) : "";
    return el("tr", { "data-name": p.name },
      el("th", { scope: "row" }, p.name),
      ...CLOCKS.map((c) => el("td", { "data-clock": c }, limitText(p[c]))),
      el("td", {}, t("sla.share", { pct: Math.round(p.warn_share * 100) })),
      el("td", {}, t("sla.extensionOf", { hours: p.max_extension_hours })),
      el("td", { class: "muted" }, `${Hotline.fmtTime(p.updated_at)} · ${p.updated_by}`),
      el("td", {}, edit));
  }

  // The policy a category takes: its own mapping, else its nearest mapped parent's; and the
  // policies it takes for one urgency only, the same way.
  function nearest(code, urgency) {
    return book.categories.filter((m) => code.startsWith(m.prefix) && (m.urgency || "") === urgency)
      .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  }
  function mapped(found, code) {
    if (found.prefix === code) return [el("strong", {}, found.policy), " ", el("span", { class: "badge ok" }, t("sla.own"))];
    return [found.policy, " ", el("span", { class: "muted" }, t("sla.inherited", { prefix: found.prefix }))];
  }
  function policyFor(code) {
    const found = nearest(code, "");
    const parts = found ? mapped(found, code) : [el("span", { class: "muted" }, t("sla.default"))];
    const urgencies = [...new Set(book.categories.map((m) => m.urgency).filter(Boolean))];
    for (const u of urgencies) {
      const only = nearest(code, u);
      if (only) parts.push(el("span", { class: "only-urgency" }, " · ", Hotline.label("urgency", u), "：", ...mapped(only, code)));
    }
    return el("span", {}, ...parts);
  }

  function categoryRow(c) {
    const depth = c.code.length / 2 - 1;
    const set = editor() ? el("button", { type: "button", class: "secondary",
      onclick: () => fillCategory(c.code) }, t("sla.set")) : "";
    return el("tr", { "data-code": c.code },
      el("td", { style: `padding-left:${0.5 + depth * 1.5}rem` }, c.name),
      el("td", { class: "mono" }, c.code), el("td", {}, policyFor(c.code)), el("td", {}, set));
  }

  function valueText(value) {
    if (value && typeof value === "object" && "hours" in value) return limitText(value);
    if (Array.isArray(value)) return value.map((v) => (v && v.name) || valueText(v)).join(", ");
    if (value && typeof value === "object") return Object.entries(value).map(([k, v]) => `${k} → ${v}`).join(", ");
    return value ?? "—";
  }

  function fieldName(key) {
    const text = t(`sla.field.${key}`);
    return text === `sla.field.${key}` ? key : text;
  }

  // A seeded book reads as its policies and mappings; a change as the shared version diff
  // (who and when have their own columns).
  function difference(c) {
    const bare = (record) => {
      if (!record) return null;
      const { updated_at, updated_by, ...rest } = record;
      return rest;
    };
    if (c.subject === "book") {
      return el("ul", {}, Object.entries(c.after || {}).map(([k, v]) =>
        el("li", {}, `${fieldName(k)}: ${valueText(v)}`)));
    }
    return HotlineDiff.render(bare(c.before), bare(c.after));
  }

  function historyRow(c) {
    const key = c.subject === "category" ? `category:${c.key}` : c.key;
    const audit = c.subject === "book" ? "" : el("a", { href: Hotline.link("search", `/audit?kind=${KIND}&key=${encodeURIComponent(key)}`) }, t("sla.audit"));
    const when = c.effective_at ? ` (${t("sla.effectiveAt")} ${Hotline.fmtTime(c.effective_at)})` : "";
    return el("tr", { "data-version": c.version },
      el("td", {}, String(c.version)), el("td", {}, Hotline.fmtTime(c.at) + when), el("td", {}, c.by),
      el("td", {}, `${t(`sla.subject.${c.subject}`, { key: c.key })} · ${t(`sla.action.${c.action}`)} `, audit),
      el("td", {}, difference(c)));
  }

  function pendingWhat(change) {
    const p = change.payload;
    if (p.subject === "policy") return `${p.name}: ${CLOCKS.map((c) => `${t(`sla.${c}`)} ${limitText(p[c])}`).join("，")}`;
    return `${change.key} → ${p.action === "delete" ? t("sla.unassign") : p.policy}`;
  }

  function pendingRow(change) {
    const cancel = editor() && change.state === "pending" ? el("button", { type: "button", class: "secondary",
      onclick: () => cancelChange(change) }, t("sla.cancel")) : "";
    const state = change.state === "failed" ? el("span", { class: "badge bad" }, t("sla.stateFailed", { error: change.error || "" }))
      : el("span", { class: "badge warn" }, t("sla.statePending"));
    return el("tr", { "data-id": change.id }, el("td", {}, Hotline.fmtTime(change.effective_at)),
      el("td", {}, pendingWhat(change)), el("td", {}, change.by), el("td", {}, state), el("td", {}, cancel));
  }

  function fill(tbody, rows, span) {
    tbody.replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: String(span), class: "muted" }, t("common.empty")))]));
  }

  async function load() {
    try {
      const [found, cats, pending, history] = await Promise.all([
        api("/api/v1/sla-policies"), api("/api/v1/categories"),
        api(`/api/v1/scheduled-changes?kind=${KIND}`), api("/api/v1/sla-policies/changes"),
      ]);
      book = found; categories = cats;
      fill(document.querySelector("#policies tbody"), book.policies.map(policyRow), 8);
      fill(document.querySelector("#categories tbody"), categories.map(categoryRow), 4);
      fill(document.querySelector("#pending tbody"), pending.map(pendingRow), 5);
      fill(document.querySelector("#history tbody"), history.map(historyRow), 5);
      options();
    } catch (problem) {
      const body = document.querySelector("#policies tbody");
      body.replaceChildren(el("tr", {}, el("td", { colspan: "8", class: "error" }, problem.message)));
    }
  }

  function options() {
    $("policy-names").replaceChildren(...book.policies.map((p) => el("option", { value: p.name })));
    const urgency = $("category-urgency").value;
    $("category-urgency").replaceChildren(el("option", { value: "" }, t("sla.anyUrgency")),
      ...Object.keys(Hotline.VOCABULARY.zh).filter((k) => /^urgency\.[a-z_]+$/.test(k))
        .map((k) => k.slice("urgency.".length)).map((u) => el("option", { value: u }, Hotline.label("urgency", u))));
    $("category-urgency").value = urgency;
    const chosen = $("category-policy").value;
    $("category-policy").replaceChildren(...book.policies.map((p) => el("option", { value: p.name }, p.name)));
    if (chosen) $("category-policy").value = chosen;
    const prefix = $("category-prefix").value;
    $("category-prefix").replaceChildren(...categories.map((c) =>
      el("option", { value: c.code }, `${c.code} ${c.name}`)));
    if (prefix) $("category-prefix").value = prefix;
  }

  function limitFields() {
    const kept = CLOCKS.map((c) => [$(`${c}-hours`)?.value, $(`${c}-time`)?.value]);
    $("limit-fields").replaceChildren(...CLOCKS.map((c) => el("div", {},
      el("label", { for: `${c}-hours` }, t("sla.hours", { clock: t(`sla.${c}`) })),
      el("input", { id: `${c}-hours`, name: `${c}.hours`, type: "number", min: "0.1", step: "0.5", required: true }),
      el("p", { class: "error", "data-for": `${c}.hours` }),
      el("label", { for: `${c}-time` }, t("sla.time", { clock: t(`sla.${c}`) })),
      el("select", { id: `${c}-time`, name: `${c}.time` },
        el("option", { value: "working" }, t("sla.working")), el("option", { value: "natural" }, t("sla.natural"))),
      el("p", { class: "error", "data-for": `${c}.time` }))));
    CLOCKS.forEach((c, i) => {
      if (kept[i][0] !== undefined) [$(`${c}-hours`).value, $(`${c}-time`).value] = kept[i];
    });
  }

  function fillPolicy(p) {
    const form = $("policy-form");
    $("policy-name").value = p.name;
    for (const c of CLOCKS) {
      $(`${c}-hours`).value = p[c].hours;
      $(`${c}-time`).value = p[c].time;
    }
    form.warn_share.value = p.warn_share;
    form.max_extension_hours.value = p.max_extension_hours;
    $(`acknowledge-hours`).focus();
  }

  function fillCategory(code) {
    $("category-prefix").value = code;
    const urgency = $("category-urgency").value;
    const own = book.categories.find((m) => m.prefix === code && (m.urgency || "") === urgency);
    if (own) $("category-policy").value = own.policy;
    $("category-policy").focus();
  }

  function clearErrors(form) {
    form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  }

  // A date-time input holds Beijing wall time; the API takes it with its offset.
  const effective = (input) => (input.value ? `${input.value}:00+08:00` : null);

  function announceSaved(answer, name) {
    const text = answer && answer.effective_at && answer.state
      ? t("sla.scheduled", { time: Hotline.fmtTime(answer.effective_at) }) : t("sla.saved", { name });
    $("policy-saved").textContent = text;
    $("policy-saved").hidden = false;
    say(text);
  }

  async function savePolicy(event) {
    event.preventDefault();
    const form = event.target;
    const body = { warn_share: Number(form.warn_share.value), max_extension_hours: Number(form.max_extension_hours.value) };
    for (const c of CLOCKS) body[c] = { hours: Number($(`${c}-hours`).value), time: $(`${c}-time`).value };
    const at = effective(form.effective_at);
    if (at) body.effective_at = at;
    const name = $("policy-name").value.trim();
    try {
      const answer = await Hotline.once(`/api/v1/sla-policies/${encodeURIComponent(name)}`, { method: "PUT", body });
      clearErrors(form);
      form.effective_at.value = "";
      announceSaved(answer, name);
      await load();
    } catch (problem) {
      Hotline.showErrors(form, problem);
    }
  }

  async function saveCategory(event, remove = false) {
    event.preventDefault();
    const form = $("category-form");
    const prefix = form.prefix.value;
    const urgency = form.urgency.value || null;
    const at = effective(form.effective_at);
    const path = `/api/v1/sla-policies/categories/${encodeURIComponent(prefix)}`;
    const query = new URLSearchParams({ ...(urgency ? { urgency } : {}), ...(at ? { effective_at: at } : {}) });
    try {
      const answer = remove
        ? await Hotline.once(path + (query.size ? `?${query}` : ""), { method: "DELETE" })
        : await Hotline.once(path, { method: "PUT", body: { policy: form.policy.value, urgency, ...(at ? { effective_at: at } : {}) } });
      clearErrors(form);
      form.effective_at.value = "";
      say(answer && answer.state ? t("sla.scheduled", { time: Hotline.fmtTime(answer.effective_at) }) : t("sla.saved", { name: prefix }));
      await load();
    } catch (problem) {
      Hotline.showErrors(form, problem);
    }
  }

  async function cancelChange(change) {
    if (!confirm(t("sla.confirmCancel"))) return;
    try { await Hotline.once(`/api/v1/scheduled-changes/${encodeURIComponent(change.id)}`, { method: "DELETE" }); }
    catch (problem) { alert(problem.message); }
    load();
  }

  $("policy-form").addEventListener("submit", savePolicy);
  $("category-form").addEventListener("submit", (event) => saveCategory(event));
  $("category-remove").addEventListener("click", (event) => saveCategory(event, true));
  document.addEventListener("hotline:lang", () => { limitFields(); load(); });
  (async () => {
    Hotline.translate();
    user = await Hotline.header("sla.title");
    limitFields();
    $("policy-editor").hidden = $("category-form").hidden = !editor();
    await load();
    // Arrived from a category's page (?category=<code>): that category, ready to read or set.
    const asked = new URLSearchParams(location.search).get("category");
    const row = asked && document.querySelector(`#categories tr[data-code="${CSS.escape(asked)}"]`);
    if (row) {
      row.classList.add("chosen");
      row.scrollIntoView({ block: "center" });
      if (editor()) fillCategory(asked);
    }
  })();
})();
