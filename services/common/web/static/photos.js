// The page kit's photo picker: HotlinePhotos.attach(input, { max: 3, onChange(ids) {} }) turns
// a file input into one that uploads each picked photo to intake (POST /api/v1/photos, no
// sign-in needed), shows its thumbnail with a remove button, and reports the ids the form
// should send. Needs hotline.js first. Works on a phone: the camera or the gallery, and a
// photo larger than intake takes is shrunk in the browser before it is sent.
"use strict";
const HotlinePhotos = (() => {
  const { t, el } = Hotline;
  const MAX_BYTES = 5 * 1024 * 1024;
  const MAX_SIDE = 2048;
  const TYPES = ["image/jpeg", "image/png", "image/webp"];
  // Where intake is, as this browser reaches it (its own origin on intake's pages).
  const INTAKE = Hotline.SERVICES.intake ?? Hotline.BASE;

  Hotline.messages({
    zh: {
      "photos.uploading": "正在上传照片…", "photos.remove": "移除第 {n} 张照片",
      "photos.photo": "第 {n} 张照片", "photos.max": "最多可以附 {max} 张照片",
      "photos.type": "只接受 JPEG、PNG 或 WebP 格式的照片",
      "photos.too_large": "照片不能超过 5 MB", "photos.count": "已附 {n} / {max} 张照片",
    },
    en: {
      "photos.uploading": "Uploading the photo…", "photos.remove": "Remove photo {n}",
      "photos.photo": "Photo {n}", "photos.max": "At most {max} photos can be attached",
      "photos.type": "Only JPEG, PNG or WebP photos are accepted",
      "photos.too_large": "A photo may be at most 5 MB", "photos.count": "{n} of {max} photos attached",
    },
  });

  let styled = false;
  function style() {
    if (styled) return;
    styled = true;
    document.head.append(el("style", {}, `
      .hl-photos { display: flex; flex-wrap: wrap; gap: .5rem; margin: .4rem 0; padding: 0; list-style: none; }
      .hl-photos li { position: relative; width: 88px; height: 88px; }
      .hl-photos img { width: 100%; height: 100%; object-fit: cover; border-radius: 6px; border: 1px solid #ccd; }
      .hl-photos button { position: absolute; top: -6px; right: -6px; min-width: 32px; min-height: 32px;
        border-radius: 999px; border: 1px solid #bbb; background: #fff; font-size: 1.1rem; line-height: 1; cursor: pointer; }
      .hl-photos-status { margin: .2rem 0; font-size: .9rem; }`));
  }

  // A photo over intake's limit (phones take large ones) drawn again at most MAX_SIDE px as a
  // JPEG; the browser applies the photo's orientation when it draws it.
  async function shrunk(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = el("canvas", { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close?.();
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
    if (!blob || blob.size > MAX_BYTES) throw new Error(t("photos.too_large"));
    return new File([blob], "photo.jpg", { type: "image/jpeg" });
  }

  // Multipart with no header but Accept-Language: a simple request, so a page of another
  // service on its own port may send it without a preflight (intake allows its siblings).
  async function upload(file) {
    const form = new FormData();
    form.append("file", file, file.name || "photo");
    let response;
    try {
      response = await fetch(INTAKE + "/api/v1/photos", {
        method: "POST", body: form, headers: { "Accept-Language": Hotline.lang() === "zh" ? "zh-CN" : "en" },
      });
    } catch (err) {
      throw new Hotline.Problem({ detail: t("common.network") }, 0);
    }
    const data = await response.json().catch(() => ({ detail: t("common.error") }));
    if (!response.ok) throw new Hotline.Problem(data, response.status);
    return data;
  }

  async function prepared(file) {
    if (file.type && !file.type.startsWith("image/")) throw new Error(t("photos.type"));
    if (file.size <= MAX_BYTES && (!file.type || TYPES.includes(file.type))) return file;
    // Too large, or a kind intake does not take (a phone's HEIC): drawn again as a JPEG
    // where this browser can read it. The server still reads the type from the bytes.
    try {
      return await shrunk(file);
    } catch (e) {
      throw new Error(t(TYPES.includes(file.type) ? "photos.too_large" : "photos.type"));
    }
  }

  function attach(input, { max = 3, onChange = () => {} } = {}) {
    style();
    if (!input.accept) input.accept = TYPES.join(",");
    const list = el("ul", { class: "hl-photos", "aria-live": "polite" });
    const status = el("p", { class: "hl-photos-status muted", role: "status" });
    input.after(list, status);
    const photos = []; // { id, thumbnail }
    let busy = false;
    let message = null; // { text, error }: what the last pick came to

    function render() {
      list.replaceChildren(...photos.map((p, i) => el("li", { "data-photo": p.id },
        el("img", { src: p.thumbnail, alt: t("photos.photo", { n: i + 1 }) }),
        el("button", { type: "button", "aria-label": t("photos.remove", { n: i + 1 }),
          title: t("photos.remove", { n: i + 1 }), onclick: () => remove(p.id) }, "×"))));
      input.disabled = busy || photos.length >= max;
      const count = photos.length ? t("photos.count", { n: photos.length, max }) : "";
      status.className = `hl-photos-status ${message?.error ? "error" : "muted"}`;
      status.textContent = message ? message.text : count;
    }
    function say(text, error = false) { message = text ? { text, error } : null; render(); }
    function changed() { render(); onChange(photos.map((p) => p.id)); }
    function remove(id) {
      const at = photos.findIndex((p) => p.id === id);
      if (at >= 0) photos.splice(at, 1);
      message = null;
      changed();
      input.focus();
    }

    input.addEventListener("change", async () => {
      const files = Array.from(input.files || []);
      input.value = ""; // the same photo may be picked again after removing it
      if (!files.length || busy) return;
      const room = max - photos.length;
      busy = true;
      say(t("photos.uploading"));
      let problem = files.length > room ? t("photos.max", { max }) : "";
      for (const file of files.slice(0, Math.max(room, 0))) {
        try {
          const stored = await upload(await prepared(file));
          photos.push({ id: stored.id, thumbnail: `${INTAKE}/media/${encodeURIComponent(stored.id)}/thumbnail` });
          changed();
        } catch (e) {
          problem = e.body?.detail || e.message || t("common.error");
        }
      }
      busy = false;
      say(problem, Boolean(problem));
    });
    document.addEventListener("hotline:lang", () => { if (!busy) message = null; render(); });
    render();
    return {
      ids: () => photos.map((p) => p.id),
      clear() { photos.length = 0; message = null; changed(); },
    };
  }

  return { attach };
})();
