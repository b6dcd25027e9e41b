// Shared page helpers: language (zh first, en), the vocabulary's labels, API calls with the
// session cookie and RFC 9457 problems, the header bar with the role menu, Beijing time.
// No dependencies, works offline.
"use strict";
const Hotline = (() => {
  const LANG_KEY = "hotline.lang";
  // The service renders where it is served into each page: BASE is its root path ("" on its
  // own port, "/intake" behind the proxy), SERVICES every service's base as this browser
  // reaches it. Every URL a page builds starts from one of them.
  const meta = (name) => document.querySelector(`meta[name='${name}']`)?.content;
  const BASE = meta("hotline-root") ?? "";
  const SERVICES = JSON.parse(meta("hotline-services") || "{}");
  // Who may open each page ("service/path"): the header's menu and the tab strips show a
  // person only these. One list, so a page's menu entry and its tab never disagree.
  const DESK = ["dispatcher", "leader", "admin"];
  const WHO = {
    "intake/console": ["agent", "admin"], "intake/sms": ["admin"], "intake/privacy": ["admin"],
    "feedback/callbacks": ["agent", "admin"], "feedback/rankings": DESK,
    "feedback/appeals": ["dept_staff", "dispatcher", "leader", "admin"],
    "dispatch/workbench": ["dept_staff", "admin"], "dispatch/review": DESK,
    "dispatch/returned": DESK, "dispatch/extensions": DESK, "dispatch/supervision": DESK,
    "search/search": ["agent", "dispatcher", "dept_staff", "leader", "admin"],
    "search/dashboard": DESK, "intake/open311-apps": ["admin"], "search/themes": DESK,
    "intake/proactive": ["dispatcher", "admin"],
    // The admin console: admins change configuration; dispatchers (and leaders, for time
    // limits and the calendar) read it.
    "intake/categories": ["dispatcher", "admin"], "intake/knowledge": ["agent", "dispatcher", "admin"],
    "dispatch/rules": ["dispatcher", "admin"], "dispatch/departments": ["dispatcher", "admin"],
    "dispatch/sla": ["dispatcher", "leader", "admin"], "dispatch/calendar": ["dispatcher", "leader", "admin"],
    "search/audit": ["leader", "admin"], "search/monthly": DESK,
    // Not a page: who changes configuration on the admin pages (the others only read them).
    "cue/config-edit": ["admin"],
    // Not a page: who is shown the frequent-caller cue (department staff are not).
    "cue/frequent-caller": ["agent", "dispatcher", "leader", "admin"],
    // Not a page: who creates monthly themes, gives them tasks and closes them.
    "cue/theme-steer": ["leader", "admin"],
    // Not pages: who files appeals (for their own department), decides them, reverses a decision.
    "cue/appeal-file": ["dept_staff"], "cue/appeal-decide": ["dispatcher", "leader"],
    "cue/appeal-reverse": ["leader"],
  };
  // The header's menu: one entry per task, across the services.
  const MENU = [
    ["intake/console", "menu.console"], ["feedback/callbacks", "menu.callbacks"],
    ["dispatch/workbench", "menu.workbench"], ["dispatch/review", "menu.desk"],
    ["search/search", "menu.search"], ["search/dashboard", "menu.dashboard"], ["search/themes", "menu.themes"],
    ["feedback/rankings", "menu.rankings"], ["feedback/appeals", "menu.appeals"], ["intake/sms", "menu.sms"], ["intake/privacy", "menu.privacy"],
    ["intake/open311-apps", "menu.open311"], ["search/monthly", "menu.report"],
    ["intake/categories", "menu.admin"], ["search/audit", "menu.audit"],
  ];
  // A service's pages side by side: the tab strip of a page with <nav data-tabs="service">.
  const TABS = {
    dispatch: [["workbench", "nav.workbench"], ["review", "nav.review"], ["returned", "nav.returned"],
      ["extensions", "nav.extensions"], ["supervision", "nav.supervision"]],
    search: [["search", "nav.search"], ["dashboard", "nav.dashboard"], ["themes", "nav.themes"], ["monthly", "nav.monthly"]],
    feedback: [["rankings", "nav.rankings"], ["callbacks", "nav.callbacks"], ["appeals", "nav.appeals"]],
    // The admin console spans the services: each entry names its own.
    admin: [["intake/categories", "nav.categories"], ["dispatch/rules", "nav.rules"],
      ["dispatch/departments", "nav.departments"], ["dispatch/sla", "nav.sla"],
      ["dispatch/calendar", "nav.calendar"], ["intake/knowledge", "nav.knowledge"],
      ["search/audit", "nav.audit"]],
  };
  const dict = {
    zh: {
      "app.name": "12345 市民服务热线", "nav.logout": "退出", "nav.lang": "English",
      "login.title": "登录", "login.username": "用户名", "login.password": "密码",
      "login.submit": "登录", "common.loading": "加载中…", "common.error": "出错了",
      "common.retry": "重试", "common.empty": "暂无数据", "common.save": "保存",
      "common.cancel": "取消", "common.network": "网络不可用，请稍后重试",
      "menu.label": "功能", "menu.console": "话务受理", "menu.callbacks": "市民回访",
      "menu.workbench": "承办工作台", "menu.desk": "派单调度", "menu.search": "检索",
      "menu.dashboard": "驾驶舱", "menu.rankings": "三率考核", "menu.sms": "短信发件箱", "menu.privacy": "个人信息审计", "menu.open311": "城市应用接入",
      "menu.themes": "每月一题", "nav.themes": "每月一题",
      "nav.pages": "页面", "nav.workbench": "工作台", "nav.review": "待审派单", "nav.returned": "退单",
      "nav.extensions": "延期审批", "nav.supervision": "督办", "nav.search": "工单检索",
      "nav.dashboard": "领导驾驶舱", "nav.rankings": "三率排名", "nav.callbacks": "回访",
      "menu.appeals": "申诉", "nav.appeals": "申诉",
      "menu.report": "月度报告", "menu.admin": "配置管理", "menu.audit": "审计日志",
      "nav.categories": "分类目录", "nav.rules": "派单规则", "nav.departments": "承办单位",
      "nav.sla": "时限政策", "nav.calendar": "节假日", "nav.knowledge": "知识库", "nav.audit": "审计日志",
      "nav.monthly": "月度报告",
    },
    en: {
      "app.name": "12345 Citizen Hotline", "nav.logout": "Sign out", "nav.lang": "中文",
      "login.title": "Sign in", "login.username": "Username", "login.password": "Password",
      "login.submit": "Sign in", "common.loading": "Loading…", "common.error": "Something went wrong",
      "common.retry": "Retry", "common.empty": "Nothing here yet", "common.save": "Save",
      "common.cancel": "Cancel", "common.network": "The network is unavailable, try again shortly",
      "menu.label": "Sections", "menu.console": "Call intake", "menu.callbacks": "Citizen callbacks",
      "menu.workbench": "Department workbench", "menu.desk": "Dispatch desk", "menu.search": "Search",
      "menu.dashboard": "Dashboard", "menu.rankings": "Three rates", "menu.sms": "SMS outbox", "menu.privacy": "Privacy audit", "menu.open311": "City apps",
      "menu.themes": "Monthly themes", "nav.themes": "Monthly themes",
      "nav.pages": "Pages", "nav.workbench": "Workbench", "nav.review": "Review queue", "nav.returned": "Returned",
      "nav.extensions": "Extensions", "nav.supervision": "Supervision", "nav.search": "Ticket search",
      "nav.dashboard": "Leaders' dashboard", "nav.rankings": "Rankings", "nav.callbacks": "Callbacks",
      "menu.appeals": "Appeals", "nav.appeals": "Appeals",
      "menu.report": "Monthly report", "menu.admin": "Configuration", "menu.audit": "Audit log",
      "nav.categories": "Categories", "nav.rules": "Routing rules", "nav.departments": "Departments",
      "nav.sla": "Time limits", "nav.calendar": "Holidays", "nav.knowledge": "Knowledge base", "nav.audit": "Audit log",
      "nav.monthly": "Monthly report",
    },
  };

  // Labels of fixed values ("status.in_progress", "urgency.complex", …): rendered from
  // proto/vocabulary.py into /static/vocabulary.js, which _head.html loads first.
  const VOCABULARY = window.HOTLINE_VOCABULARY || { zh: {}, en: {} };
  for (const l of Object.keys(dict)) Object.assign(dict[l], VOCABULARY[l]);

  class Problem extends Error {
    constructor(body, status) {
      super(body.detail || body.title || String(status));
      this.status = status;
      this.body = body;
      this.errors = body.errors || [];
    }
  }

  function lang() { return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh"; }

  function messages(extra) {
    for (const l of Object.keys(extra)) Object.assign(dict[l], extra[l]);
  }

  function t(key, params = {}) {
    const text = dict[lang()][key] ?? dict.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? params[name] : m));
  }

  // The name of a fixed value for people: label("status", "in_progress"); an unknown value
  // reads as itself.
  function label(kind, value) {
    const key = `${kind}.${value}`;
    return key in dict.zh ? t(key) : String(value ?? "");
  }

  function translate(root = document) {
    document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    });
    root.querySelectorAll("[data-i18n-aria]").forEach((el) => {
      el.setAttribute("aria-label", t(el.dataset.i18nAria));
    });
  }

  function setLang(next) {
    localStorage.setItem(LANG_KEY, next);
    translate();
    document.dispatchEvent(new CustomEvent("hotline:lang", { detail: next }));
  }

  // `service` asks a sibling service's API (SERVICES) instead of this one's: on its own port
  // that is another origin, which lets the session cookie through for a GET, or a POST
  // without `key` (web/cors.py).
  async function api(path, { method = "GET", body, form, key, redirectOn401 = true, service } = {}) {
    const base = service ? SERVICES[service] : BASE;
    const elsewhere = new URL(base || "/", location.href).origin !== location.origin;
    const headers = { "Accept-Language": lang() === "zh" ? "zh-CN" : "en" };
    if (key) headers["Idempotency-Key"] = key;
    let payload;
    if (form) payload = new URLSearchParams(form);
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    let response;
    try {
      response = await fetch(base + path, { method, headers, body: payload, credentials: elsewhere ? "include" : "same-origin" });
    } catch (err) {
      throw new Problem({ detail: t("common.network") }, 0);
    }
    if (response.status === 401 && redirectOn401) {
      location.href = BASE + "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new Problem({ detail: "401" }, 401);
    }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw new Problem(typeof data === "object" ? data : { detail: data }, response.status);
    return data;
  }

  // A random UUID (v4) for an Idempotency-Key. Not crypto.randomUUID: browsers offer it only
  // on https or localhost, and intranet pages are often plain http.
  function newKey() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // One user action (POST by default) under one Idempotency-Key: when the network drops, or
  // the server is still busy with an earlier attempt, it is sent again with the same key, so
  // it takes effect once however many attempts it took.
  async function once(path, options = {}) {
    const key = newKey();
    for (let attempt = 1; ; attempt++) {
      try {
        return await api(path, { method: "POST", ...options, key });
      } catch (e) {
        const busy = e.status === 409 && String(e.body?.type).endsWith("/request.idempotency_in_flight");
        if (attempt >= 3 || !(e.status === 0 || busy)) throw e;
        await new Promise((done) => setTimeout(done, 500 * attempt));
      }
    }
  }

  function fmtTime(iso, withSeconds = false) {
    if (!iso) return "";
    const options = { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) options.second = "2-digit";
    return new Intl.DateTimeFormat(lang() === "zh" ? "zh-CN" : "en-GB", options).format(new Date(iso));
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function showErrors(form, problem) {
    form.querySelectorAll(".error[data-for]").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    const general = form.querySelector(".error[data-for='_']");
    let placed = false;
    for (const e of problem.errors || []) {
      const slot = form.querySelector(`.error[data-for='${e.field}']`);
      const input = form.querySelector(`[name='${e.field}']`);
      if (slot) { slot.textContent = e.message; placed = true; }
      if (input) input.setAttribute("aria-invalid", "true");
    }
    if (general && !placed) general.textContent = problem.message || problem.body?.detail || t("common.error");
  }

  // A page of another service (or of this one): "dispatch", "/workbench".
  function link(service, path = "/") { return SERVICES[service] + path; }

  // May this person open that page? may(user, "dispatch/review")
  function may(user, page) { return Boolean(user && (WHO[page] || []).includes(user.role)); }

  function pageLink(page, key) {
    const [service, path] = page.split("/");
    const href = link(service, "/" + path);
    const current = new URL(href, location.href).href === location.origin + location.pathname;
    return el("a", { href, "data-i18n": key, "aria-current": current ? "page" : null }, t(key));
  }

  function menu(user) {
    const links = MENU.filter(([page]) => may(user, page)).map(([page, key]) => pageLink(page, key));
    return el("nav", { class: "menu", "aria-label": t("menu.label"), "data-i18n-aria": "menu.label" }, links);
  }

  function tabs(user) {
    document.querySelectorAll("nav[data-tabs]").forEach((nav) => {
      const service = nav.dataset.tabs;
      const page = (path) => (path.includes("/") ? path : `${service}/${path}`);
      nav.replaceChildren(...(TABS[service] || []).filter(([path]) => may(user, page(path)))
        .map(([path, key]) => pageLink(page(path), key)));
    });
  }

  async function header(titleKey) {
    const bar = document.querySelector("header.bar");
    let user = null;
    try { user = await api("/api/v1/auth/me"); } catch (e) { if (e.status === 401) return null; }
    bar.replaceChildren(
      el("h1", { "data-i18n": titleKey }, t(titleKey)),
      menu(user),
      el("span", { class: "spacer" }),
      el("span", { id: "who" }, user ? user.name : ""),
      el("button", { type: "button", id: "lang-switch", "data-i18n": "nav.lang",
        onclick: () => setLang(lang() === "zh" ? "en" : "zh") }, t("nav.lang")),
      el("button", { type: "button", id: "logout", "data-i18n": "nav.logout", onclick: async () => {
        await api("/api/v1/auth/logout", { method: "POST", redirectOn401: false }).catch(() => null);
        location.href = BASE + "/login";
      } }, t("nav.logout")),
    );
    tabs(user);
    return user;
  }

  return { BASE, SERVICES, VOCABULARY, link, may, api, once, newKey, t, label, messages, translate, setLang, lang, fmtTime, el, showErrors, header, Problem };
})();
