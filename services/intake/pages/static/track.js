// The citizen's tracking page: /track/<token> shows the ticket's citizen-safe timeline;
// /track asks for the ticket number and a code texted to the number on it.
"use strict";
(() => {
  const { $, simplify, clearErrors } = Portal;
  const token = decodeURIComponent(location.pathname.split("/track/")[1] || "");
  let seen = null;

  function entryText(e) {
    const department = e.department || "";
    const text = e.kind === "rated" ? Hotline.label("satisfaction", e.text) : e.text;
    return Hotline.t(`entry.${e.kind}`, { department, text });
  }

  function entry(e) {
    const photos = e.photos.map((p) => Hotline.el("a", { href: p.url, target: "_blank", rel: "noopener" },
      Hotline.el("img", { src: p.thumbnail_url, alt: "", class: "thumb" })));
    const reply = e.kind === "resolved" || e.kind === "answered" ? e.text : null;
    return Hotline.el("li", { class: `entry ${e.kind}`, "data-kind": e.kind },
      Hotline.el("time", { datetime: e.at }, Hotline.fmtTime(e.at)),
      Hotline.el("p", { class: "what" }, entryText(e)),
      reply ? Hotline.el("p", { class: "reply" }, reply) : null,
      photos.length ? Hotline.el("div", { class: "photos" }, photos) : null);
  }

  function render() {
    if (!seen) return;
    $("t-number").textContent = seen.number;
    $("t-category").textContent = seen.category || "—";
    $("t-place").textContent = seen.place || "—";
    $("t-status").textContent = Hotline.label("status", seen.status);
    $("t-hidden-row").hidden = !seen.number_hidden;
    $("timeline").replaceChildren(...seen.entries.map(entry));
    $("texts-state").textContent = Hotline.t(seen.texts ? "track.texts.on" : "track.texts.off");
    $("texts-toggle").textContent = Hotline.t(seen.texts ? "track.texts.stop" : "track.texts.start");
  }

  function failed(titleKey) {
    $("loading").hidden = true;
    $("ticket").hidden = true;
    $("failed-title").textContent = Hotline.t(titleKey);
    $("failed-lookup").href = `${Hotline.BASE}/track`;
    $("failed").hidden = false;
  }

  async function load() {
    $("loading").hidden = false;
    try {
      seen = await Hotline.api(`/api/v1/public/track/${encodeURIComponent(token)}`);
      $("loading").hidden = true;
      $("ticket").hidden = false;
      render();
    } catch (e) {
      failed(e.status === 0 ? "common.network" : "track.invalid");
    }
  }

  async function toggleTexts() {
    const receive = !seen.texts;
    const answer = await Hotline.api(`/api/v1/public/track/${encodeURIComponent(token)}/texts`,
      { method: "PUT", body: { receive } });
    seen.texts = answer.receive;
    render();
  }

  // Looking a ticket up by its number.
  const form = $("lookup");
  let codeId = null;
  function errors(problem) { Hotline.showErrors(form, simplify(problem)); }

  async function sendCode() {
    try {
      const sent = await Hotline.api("/api/v1/public/lookups",
        { method: "POST", body: { number: $("number").value.trim() } });
      codeId = sent.id;
      $("code-box").hidden = false;
      $("code").focus();
      clearErrors(form);
    } catch (e) { errors(e); }
  }

  async function open(event) {
    event.preventDefault();
    if (!codeId) { await sendCode(); return; }
    try {
      const opened = await Hotline.api(`/api/v1/public/codes/${encodeURIComponent(codeId)}/verify`,
        { method: "POST", body: { code: $("code").value.trim() } });
      location.href = `${Hotline.BASE}/track/${opened.tracking_url.split("/track/").pop()}`;
    } catch (e) { errors(e); }
  }

  Hotline.translate();
  document.addEventListener("hotline:lang", render);
  if (token) {
    $("texts-toggle").addEventListener("click", toggleTexts);
    load();
  } else {
    form.hidden = false;
    $("send-code").addEventListener("click", sendCode);
    form.addEventListener("submit", open);
  }
})();
