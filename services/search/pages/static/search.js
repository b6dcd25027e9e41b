// The search page: one box, facet filters that show their counts, results with the words
// marked, "load more" by cursor, a ticket's whole timeline beside the list, CSV export.
"use strict";
(() => {
  Hotline.messages({
    zh: {
      "search.title": "工单检索", "search.q": "检索词", "search.placeholder": "输入诉求内容、工单号、分类或地点",
      "search.sort": "排序", "sort.auto": "相关度 / 最新", "sort.newest": "最新受理", "sort.oldest": "最早受理",
      "sort.due": "期限最近", "search.go": "检索",
      "search.hint": "多个词同时出现；\"引号\" 表示整句；-词 表示排除。按 / 回到检索框。",
      "search.filters": "筛选", "search.when": "受理日期", "search.from": "从", "search.to": "到",
      "search.overdue": "只看已超期", "search.clear": "清除筛选", "search.export": "导出 CSV",
      "search.none": "没有找到符合条件的工单。", "search.more": "加载更多", "search.total": "共 {n} 件",
      "facet.status": "状态", "facet.urgency": "紧急程度", "facet.category_code": "分类",
      "facet.district_code": "区", "facet.department_code": "承办单位", "facet.channel": "来源渠道",
      "detail.channel": "来源渠道", "detail.frequent": "频繁来电",
      "detail.frequent.about": "该来电人今日来电次数较多，请留意是否为同一诉求", "detail.photo": "照片 {n}",
      "detail.close": "关闭", "detail.timeline": "办理过程", "detail.where": "地点", "detail.category": "分类",
      "detail.department": "承办单位", "detail.created": "受理时间", "detail.due": "办理期限",
      "detail.calls": "来电次数", "detail.caller": "来电人", "detail.caller.number": "留有号码", "detail.caller.anonymous": "匿名", "detail.rating": "评价", "overdue": "已超期", "detail.correction": "更正",
      "calls": "{n} 次来电",
    },
    en: {
      "search.title": "Ticket search", "search.q": "Search words", "search.placeholder": "Words of the request, ticket number, category or place",
      "search.sort": "Sort", "sort.auto": "Relevance / newest", "sort.newest": "Newest", "sort.oldest": "Oldest",
      "sort.due": "Deadline soonest", "search.go": "Search",
      "search.hint": "All words must occur; \"quotes\" for an exact phrase; -word to leave out. Press / to come back here.",
      "search.filters": "Filters", "search.when": "Received", "search.from": "From", "search.to": "To",
      "search.overdue": "Overdue only", "search.clear": "Clear filters", "search.export": "Export CSV",
      "search.none": "No ticket matches.", "search.more": "Load more", "search.total": "{n} tickets",
      "facet.status": "Status", "facet.urgency": "Urgency", "facet.category_code": "Category",
      "facet.district_code": "District", "facet.department_code": "Department", "facet.channel": "Channel",
      "detail.channel": "Channel", "detail.frequent": "Frequent caller",
      "detail.frequent.about": "This caller has called more than usual today: check whether it is the same request",
      "detail.photo": "Photo {n}",
      "detail.close": "Close", "detail.timeline": "Timeline", "detail.where": "Where", "detail.category": "Category",
      "detail.department": "Department", "detail.created": "Received", "detail.due": "Due",
      "detail.calls": "Calls", "detail.caller": "Caller", "detail.caller.number": "Left a number", "detail.caller.anonymous": "Anonymous", "detail.rating": "Rating", "overdue": "Overdue", "detail.correction": "correction",
      "calls": "{n} calls",
    },
  });

  const $ = (id) => document.getElementById(id);
  const { el, t } = Hotline;
  // Facet field -> the query parameter that filters on it.
  const PARAM = { status: "status", urgency: "urgency", channel: "channel", category_code: "category",
    district_code: "area", department_code: "department" };
  const chosen = Object.fromEntries(Object.keys(PARAM).map((k) => [k, new Set()]));
  let next = null;
  let last = null;
  let user = null;

  function params() {
    const p = new URLSearchParams();
    const q = $("q").value.trim();
    if (q) p.set("q", q);
    if ($("sort").value) p.set("sort", $("sort").value);
    if ($("from").value) p.set("from", $("from").value);
    if ($("to").value) p.set("to", $("to").value);
    if ($("overdue").checked) p.set("overdue", "true");
    for (const [field, values] of Object.entries(chosen)) {
      if (values.size) p.set(PARAM[field], [...values].join(","));
    }
    return p;
  }

  function label(field, bucket) {
    if (bucket.label) return bucket.label;
    const key = `${field.replace("_code", "")}.${bucket.key}`;
    const text = t(key);
    return text === key ? bucket.key : text;
  }

  function renderFacets(facets) {
    const box = $("facets");
    box.replaceChildren(...Object.entries(facets).filter(([, b]) => b.length).map(([field, buckets]) =>
      el("fieldset", {},
        el("legend", {}, t(`facet.${field}`)),
        ...buckets.map((b) => el("label", { class: "facet" },
          el("input", { type: "checkbox", checked: chosen[field]?.has(b.key), onchange: (e) => {
            e.target.checked ? chosen[field].add(b.key) : chosen[field].delete(b.key);
            run();
          } }),
          el("span", {}, label(field, b)), el("span", { class: "n" }, b.count.toLocaleString()))))));
  }

  function statusBadge(hit) {
    const kind = ["closed", "resolved", "answered"].includes(hit.status) ? "ok"
      : hit.status === "returned" || hit.status === "reopened" ? "warn" : "";
    return el("span", { class: `badge ${kind}` }, Hotline.label("status", hit.status));
  }

  function hitItem(hit) {
    const text = el("p", { class: "text" });
    if (hit.highlight && hit.highlight.description) text.innerHTML = hit.highlight.description;
    else text.textContent = hit.description || "";
    const where = [(hit.category_path || []).at(-1), (hit.area_path || []).slice(0, 2).join(" "),
      hit.department_name].filter(Boolean).join(" · ");
    return el("li", {}, el("button", { type: "button", class: "hit", "aria-pressed": "false",
      "data-id": hit.ticket_id, onclick: (e) => show(hit.ticket_id, e.currentTarget) },
      el("div", { class: "top" },
        el("span", { class: "number" }, hit.number || hit.ticket_id), statusBadge(hit),
        hit.overdue ? el("span", { class: "badge bad" }, t("overdue")) : null,
        hit.urgency === "urgent" ? el("span", { class: "badge warn" }, t("urgency.urgent")) : null,
        hit.calls > 1 ? el("span", { class: "badge" }, t("calls", { n: hit.calls })) : null,
        frequentBadge(hit),
        el("span", { class: "when" }, Hotline.fmtTime(hit.created_at))),
      el("div", { class: "where" }, where), text));
  }

  async function run(more = false) {
    const form = $("search");
    const p = params();
    if (more && next) p.set("after", next);
    if (more && !next) return;
    $("results").setAttribute("aria-busy", "true");
    try {
      const page = await Hotline.api("/api/v1/search?" + p.toString());
      Hotline.showErrors(form, { errors: [] });
      form.querySelector(".error[data-for='_']").textContent = "";
      document.querySelector(".error[data-for='to']").textContent = "";
      last = page;
      next = page.next;
      const items = page.hits.map(hitItem);
      if (more) $("hits").append(...items); else $("hits").replaceChildren(...items);
      $("total").textContent = t("search.total", { n: page.total.toLocaleString() });
      $("empty").hidden = page.total > 0;
      $("more").hidden = !next;
      if (!more) renderFacets(page.facets);
      $("export").href = Hotline.BASE + "/api/v1/search/export?" + params().toString();
      history.replaceState(null, "", "?" + params().toString());
    } catch (problem) {
      const slot = problem.errors?.find((e) => e.field === "to") ? document.querySelector(".error[data-for='to']")
        : form.querySelector(".error[data-for='_']");
      slot.textContent = problem.errors?.[0]?.message || problem.message;
    } finally {
      $("results").setAttribute("aria-busy", "false");
    }
  }

  // Intake's cue for dispatchers and leaders (departments act on the request, not the caller).
  function frequentBadge(doc) {
    if (!doc.frequent_caller || !Hotline.may(user, "cue/frequent-caller")) return null;
    return el("span", { class: "badge warn", title: t("detail.frequent.about") }, t("detail.frequent"));
  }

  // The citizen's photos (on the ticket) and the field's (contact, resolution), as intake serves them.
  function thumbnails(ids) {
    if (!ids || !ids.length) return null;
    return el("div", { class: "photos" }, ids.map((id, i) => el("a", {
      href: Hotline.link("intake", `/media/${encodeURIComponent(id)}`), target: "_blank", rel: "noopener" },
    el("img", { src: Hotline.link("intake", `/media/${encodeURIComponent(id)}/thumbnail`),
      alt: t("detail.photo", { n: i + 1 }), loading: "lazy" }))));
  }

  function row(key, value) {
    return value ? [el("dt", {}, t(key)), el("dd", {}, value)] : [];
  }

  async function show(id, button) {
    document.querySelectorAll("button.hit").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    const doc = await Hotline.api(`/api/v1/tickets/${encodeURIComponent(id)}`);
    const rating = doc.rating ? t(`satisfaction.${doc.rating.satisfaction}`) : "";
    const close = el("button", { type: "button", class: "secondary", onclick: hide }, t("detail.close"));
    const names = {};
    for (const a of Object.values(doc.assignments || {})) {
      const part = a.dispatched || a.resolved;
      if (part && part.department_name) names[part.department_code] = part.department_name;
    }
    $("detail").replaceChildren(
      el("div", { class: "row" }, el("h2", { id: "detail-title" }, doc.number || doc.ticket_id),
        statusBadge(doc), frequentBadge(doc), el("span", { class: "spacer", style: "flex:1" }), close),
      el("p", {}, doc.description || ""),
      el("dl", {},
        ...row("detail.category", (doc.category_path || []).join(" / ")),
        ...row("detail.where", (doc.area_path || []).join(" / ")),
        ...row("detail.department", doc.department_name),
        ...row("detail.created", Hotline.fmtTime(doc.created_at)),
        ...row("detail.channel", doc.channel ? Hotline.label("channel", doc.channel) : ""),
        ...row("detail.due", doc.due_at ? Hotline.fmtTime(doc.due_at) + (doc.overdue ? ` · ${t("overdue")}` : "") : ""),
        ...row("detail.calls", String(doc.calls || 1)),
        ...row("detail.caller", doc.has_phone === undefined ? null : t(doc.has_phone ? "detail.caller.number" : "detail.caller.anonymous")),
        ...row("detail.rating", rating)),
      el("h3", {}, t("detail.timeline")),
      el("ol", { class: "timeline" }, ...doc.timeline.map((e) => el("li", { "data-event": e.event_id,
        class: ["SlaBreached", "AssignmentReturned", "ReopenRequested"].includes(e.type) ? "bad"
          : ["AssignmentResolved", "TicketClosed"].includes(e.type) ? "ok" : "" },
        el("div", {}, el("strong", {}, t(`event.${e.type}`)), " ",
          e.department_name || names[e.department_code] || e.department_code || ""),
        e.detail ? el("div", {}, e.detail) : null,
        thumbnails(e.photos),
        el("div", { class: "who" }, `${Hotline.fmtTime(e.at)} · ${e.by}`)))));
    $("detail").hidden = false;
    $("layout").classList.add("with-detail");
    close.focus();
    markCorrections(doc.ticket_id);
  }

  // Entries of the ledger that correct an earlier one (an appeal taking a rating out of the
  // rates, a reopening, …) get a small mark; for those who may read the audit log.
  async function markCorrections(ticketId) {
    if (!Hotline.may(user, "search/audit")) return;
    try {
      const chain = await Hotline.api(`/api/v1/ledger/tickets/${encodeURIComponent(ticketId)}`, { redirectOn401: false });
      for (const entry of chain.entries.filter((x) => x.corrects)) {
        const item = document.querySelector(`#detail li[data-event="${CSS.escape(entry.event_id)}"]`);
        if (item) item.append(el("span", { class: "badge correction", title: entry.corrects }, t("detail.correction")));
      }
    } catch (problem) { /* the timeline reads as it is without the marks */ }
  }

  function hide() {
    $("detail").hidden = true;
    $("layout").classList.remove("with-detail");
    const pressed = document.querySelector("button.hit[aria-pressed='true']");
    if (pressed) { pressed.setAttribute("aria-pressed", "false"); pressed.focus(); }
  }

  function restore() {
    const p = new URLSearchParams(location.search);
    $("q").value = p.get("q") || "";
    $("sort").value = p.get("sort") || "";
    $("from").value = p.get("from") || "";
    $("to").value = p.get("to") || "";
    $("overdue").checked = p.get("overdue") === "true";
    for (const [field, name] of Object.entries(PARAM)) {
      for (const v of (p.get(name) || "").split(",").filter(Boolean)) chosen[field].add(v);
    }
  }

  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName);
    if (e.key === "/" && !typing) { e.preventDefault(); $("q").focus(); $("q").select(); }
    if (e.key === "Escape" && !$("detail").hidden) hide();
  });
  $("search").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  for (const id of ["sort", "from", "to", "overdue"]) $(id).addEventListener("change", () => run());
  $("more").addEventListener("click", () => run(true));
  $("clear").addEventListener("click", () => {
    Object.values(chosen).forEach((s) => s.clear());
    for (const id of ["from", "to"]) $(id).value = "";
    $("overdue").checked = false;
    run();
  });
  document.addEventListener("hotline:lang", () => { if (last) { renderFacets(last.facets); run(); } });

  (async () => {
    user = await Hotline.header("search.title");
    Hotline.translate();
    restore();
    run();
  })();
})();
