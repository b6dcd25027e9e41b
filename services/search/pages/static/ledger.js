// The ledger's seals on the audit page: each sealed day's Merkle root, how many entries it
// covers and when it was sealed, so an operator can copy the roots elsewhere (docs/ledger.md).
"use strict";
(() => {
  const { api, t, el } = Hotline;
  Hotline.messages({
    zh: {
      "ledger.title": "账本封存", "ledger.day": "日期", "ledger.entries": "条目数", "ledger.root": "默克尔根",
      "ledger.sealed": "封存时间", "ledger.none": "尚无封存的日期。",
    },
    en: {
      "ledger.title": "Ledger seals", "ledger.day": "Day", "ledger.entries": "Entries", "ledger.root": "Merkle root",
      "ledger.sealed": "Sealed at", "ledger.none": "No day sealed yet.",
    },
  });
  const section = document.getElementById("seals");
  if (!section) return;
  Hotline.translate(section);  // the page was translated before these messages were known

  async function load() {
    const rows = document.getElementById("seal-rows");
    try {
      const { seals } = await api("/api/v1/ledger/seals?limit=31");
      rows.replaceChildren(...seals.map((seal) => el("tr", { "data-day": seal.day },
        el("td", {}, seal.day),
        el("td", { class: "num" }, String(seal.entries)),
        el("td", {}, el("code", { class: "root" }, seal.root)),
        el("td", {}, Hotline.fmtTime(seal.sealed_at, true)))));
      document.getElementById("seals-none").hidden = seals.length > 0;
    } catch (problem) {
      document.getElementById("seals-none").hidden = false;
    }
  }
  load();
})();
