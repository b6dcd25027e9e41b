// The citizen's report page: request type, category by search (names, pinyin initials),
// place from the address library (or the device's position, or their own words),
// description, photos, and the number verified by a texted code; then the ticket number
// and its tracking link.
"use strict";
(() => {
  const { $, simplify, clearErrors, debounce } = Portal;
  const form = $("report");
  const TYPES = ["complaint", "help", "report", "suggestion", "consultation", "praise"];
  const state = { category: null, place: null, codeId: null, proof: null, photos: [] };

  function fillTypes() {
    $("request-type").replaceChildren(...TYPES.map((v) =>
      Hotline.el("option", { value: v }, Hotline.label("request_type", v))));
  }

  function pickList(list, items, text, choose) {
    list.replaceChildren(...items.map((item) => Hotline.el("li", {},
      Hotline.el("button", { type: "button", class: "pick", onclick: () => choose(item) }, text(item)))));
  }

  function chosen(box, text, clear) {
    box.replaceChildren(Hotline.el("span", {}, text), " ",
      Hotline.el("button", { type: "button", class: "link", onclick: clear }, Hotline.t("report.change")));
    box.hidden = false;
  }

  async function searchCategories() {
    const q = $("category-q").value.trim();
    if (!q) { $("category-hits").replaceChildren(); return; }
    const hits = await Hotline.api(`/api/v1/public/categories?q=${encodeURIComponent(q)}`).catch(() => []);
    const unsure = { code: null, path: [Hotline.t("report.category.unsure")] };
    pickList($("category-hits"), [...hits, unsure], (c) => c.path.join(" › "), chooseCategory);
  }

  function chooseCategory(c) {
    state.category = c.code;
    $("category-hits").replaceChildren();
    $("category-q").hidden = true;
    chosen($("category-chosen"), c.path.join(" › "), () => {
      state.category = null; $("category-chosen").hidden = true; $("category-q").hidden = false; $("category-q").focus();
    });
  }

  async function searchPlaces() {
    const q = $("place-q").value.trim();
    if (!q) { $("place-hits").replaceChildren(); return; }
    const hits = await Hotline.api(`/api/v1/public/places?q=${encodeURIComponent(q)}`).catch(() => []);
    pickList($("place-hits"), hits, (p) => p.path.join(" › "), choosePlace);
  }

  function choosePlace(p) {
    state.place = p.code;
    $("place-hits").replaceChildren();
    $("place-q").hidden = true;
    chosen($("place-chosen"), p.path.join(" › "), () => {
      state.place = null; $("place-chosen").hidden = true; $("place-q").hidden = false; $("place-q").focus();
    });
  }

  // The library knows only where each district's seat is (no community has coordinates),
  // so a position narrows the search to a district; the citizen picks the community.
  function locate() {
    const note = $("locate-note");
    if (!navigator.geolocation) { note.textContent = Hotline.t("report.locate.denied"); return; }
    navigator.geolocation.getCurrentPosition(async (pos) => {
      const { latitude, longitude } = pos.coords;
      try {
        const near = await Hotline.api(`/api/v1/public/places/near?lat=${latitude}&lon=${longitude}`);
        note.textContent = Hotline.t("report.locate.near", { name: near.path.join("") });
        $("place-q").value = near.path[near.path.length - 1];
        searchPlaces();
      } catch (e) {
        note.textContent = Hotline.t("report.locate.none");
      }
    }, () => { note.textContent = Hotline.t("report.locate.denied"); }, { timeout: 10000 });
  }

  function errors(problem) { Hotline.showErrors(form, simplify(problem)); }

  let countdown = null;
  function holdResend(seconds) {
    const button = $("send-code");
    button.disabled = true;
    clearInterval(countdown);
    let left = seconds;
    countdown = setInterval(() => {
      left -= 1;
      button.textContent = left > 0 ? Hotline.t("report.resend", { s: left }) : Hotline.t("report.send_code");
      if (left <= 0) { clearInterval(countdown); button.disabled = false; }
    }, 1000);
  }

  async function sendCode() {
    try {
      const sent = await Hotline.api("/api/v1/public/codes", { method: "POST", body: { phone: $("phone").value } });
      state.codeId = sent.id;
      state.proof = null;
      $("verified").hidden = true;
      $("code-box").hidden = false;
      $("code").focus();
      holdResend(60);
      clearErrors(form);
    } catch (e) { errors(e); }
  }

  async function verify() {
    try {
      const checked = await Hotline.api(`/api/v1/public/codes/${encodeURIComponent(state.codeId)}/verify`,
        { method: "POST", body: { code: $("code").value.trim() } });
      state.proof = checked.proof;
      $("code-box").hidden = true;
      $("verified").hidden = false;
      $("phone").readOnly = true;
      clearErrors(form);
    } catch (e) { errors(e); }
  }

  function body() {
    const place = state.place;
    return {
      phone: $("phone").value, proof: state.proof, request_type: $("request-type").value,
      ...(state.category ? { category_code: state.category } : {}),
      ...(place ? { area_code: place } : {}),
      ...($("address").value.trim() ? { address: $("address").value.trim() } : {}),
      description: $("description").value, photos: state.photos,
      hide_number: $("hide-number").checked,
    };
  }

  async function submit(event) {
    event.preventDefault();
    if (!state.proof) { errors({ errors: [{ field: "proof", message: Hotline.t("report.need_verify") }] }); return; }
    if (!$("description").value.trim()) {
      errors({ errors: [{ field: "description", message: Hotline.t("report.need_description") }] }); return;
    }
    const button = $("submit");
    button.disabled = true;
    button.textContent = Hotline.t("report.sending");
    try {
      const receipt = await Hotline.once("/api/v1/public/reports", { body: body() });
      done(receipt);
    } catch (e) {
      errors(e);
    } finally {
      button.disabled = false;
      button.textContent = Hotline.t("report.submit");
    }
  }

  function done(receipt) {
    form.hidden = true;
    $("done-number").textContent = receipt.ticket_number;
    $("done-review").hidden = !receipt.under_review;
    // The link as this browser reaches intake (behind the proxy or not).
    const token = receipt.tracking_url.split("/track/").pop();
    $("track-link").href = `${Hotline.BASE}/track/${token}`;
    $("done").hidden = false;
    $("done").focus();
  }

  fillTypes();
  Hotline.translate();
  document.addEventListener("hotline:lang", fillTypes);
  $("category-q").addEventListener("input", debounce(searchCategories));
  $("place-q").addEventListener("input", debounce(searchPlaces));
  $("locate").addEventListener("click", locate);
  $("send-code").addEventListener("click", sendCode);
  $("verify").addEventListener("click", verify);
  form.addEventListener("submit", submit);
  // photos.js declares HotlinePhotos as a script-wide const, not a window property.
  if (typeof HotlinePhotos !== "undefined") {
    HotlinePhotos.attach($("photos"), { max: 3, onChange: (ids) => { state.photos = ids; } });
  } else {
    $("photo-box").hidden = true;
  }
})();
