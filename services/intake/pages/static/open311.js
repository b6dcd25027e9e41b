// City apps allowed to post Open311 requests: register one (its key is shown this once),
// see who registered and who revoked each, revoke a key.
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "open311.title": "Open311 城市应用", "open311.register": "登记城市应用",
      "open311.name": "应用名称", "open311.contact": "联系人",
      "open311.submit": "登记并生成 API key", "open311.apps": "已登记的应用",
      "open311.key": "API key", "open311.created": "登记", "open311.state": "状态",
      "open311.active": "有效", "open311.revoked": "已吊销（{by}，{time}）",
      "open311.revoke": "吊销", "open311.confirm": "吊销 {name} 的 API key？该应用将无法再提交诉求。",
      "open311.issued": "{name} 的 API key：{key}（只显示这一次，请交给应用开发者妥善保存）",
    },
    en: {
      "open311.title": "Open311 city apps", "open311.register": "Register a city app",
      "open311.name": "App name", "open311.contact": "Contact",
      "open311.submit": "Register and issue an API key", "open311.apps": "Registered apps",
      "open311.key": "API key", "open311.created": "Registered", "open311.state": "State",
      "open311.active": "Active", "open311.revoked": "Revoked ({by}, {time})",
      "open311.revoke": "Revoke", "open311.confirm": "Revoke the API key of {name}? The app can no longer post requests.",
      "open311.issued": "API key of {name}: {key} (shown this once: hand it to the app's developers)",
    },
  });
  const body = () => document.querySelector("#apps tbody");

  function state(app) {
    if (!app.revoked_at) return el("span", { class: "badge ok" }, t("open311.active"));
    const text = t("open311.revoked", { by: app.revoked_by || "", time: Hotline.fmtTime(app.revoked_at) });
    return el("span", { class: "badge bad" }, text);
  }

  function row(app) {
    const revoke = app.revoked_at ? "" : el("button", { type: "button", class: "revoke",
      onclick: () => revokeApp(app) }, t("open311.revoke"));
    return el("tr", { "data-id": app.id },
      el("td", {}, app.name), el("td", {}, app.contact || "—"), el("td", { class: "mono" }, app.key_hint),
      el("td", {}, `${Hotline.fmtTime(app.created_at)} · ${app.created_by}`), el("td", {}, state(app)),
      el("td", {}, revoke));
  }

  async function load() {
    let apps;
    try { apps = await api("/api/v1/open311/clients"); }
    catch (problem) { body().replaceChildren(el("tr", {}, el("td", { colspan: "6", class: "error" }, problem.message))); return; }
    body().replaceChildren(...(apps.length ? apps.map(row)
      : [el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("common.empty")))]));
  }

  async function revokeApp(app) {
    if (!confirm(t("open311.confirm", { name: app.name }))) return;
    try { await api(`/api/v1/open311/clients/${encodeURIComponent(app.id)}`, { method: "DELETE" }); }
    catch (problem) { alert(problem.message); }
    load();
  }

  document.getElementById("register").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target, issued = document.getElementById("issued");
    const error = document.getElementById("register-error");
    issued.hidden = error.hidden = true;
    const fields = { name: form.name.value, contact: form.contact.value };
    try {
      const app = await api("/api/v1/open311/clients", { method: "POST", body: fields });
      issued.textContent = t("open311.issued", { name: app.name, key: app.api_key });
      issued.hidden = false;
      form.reset();
    } catch (problem) {
      error.textContent = problem.message;
      error.hidden = false;
    }
    load();
  });
  document.addEventListener("hotline:lang", load);
  (async () => {
    Hotline.translate();
    await Hotline.header("open311.title");
    load();
  })();
})();
