// Small SVG charts drawn here, offline and dependency-free: a line of percentages over time
// and horizontal bars (with an optional marker, e.g. the expected level). Each chart carries
// a title for screen readers and comes with a data table the page shows beside it.
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function frame(width, height, title) {
    return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
      svg("title", {}, title));
  }

  // points: [{label, value}] with value in 0..1 or null; drawn from 0 % to 100 %.
  function line(points, { title, width = 560, height = 220, color = "#1565c0" }) {
    const pad = { l: 48, r: 36, t: 24, b: 28 };
    const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
    const root = frame(width, height, title);
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      const y = pad.t + h * (1 - tick);
      root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y, y2: y, stroke: "#e4e7eb" }),
        svg("text", { x: pad.l - 6, y: y + 4, "text-anchor": "end" }, `${Math.round(tick * 100)}%`));
    }
    const step = points.length > 1 ? w / (points.length - 1) : 0;
    const xy = points.map((p, i) => [pad.l + (points.length > 1 ? i * step : w / 2),
      p.value == null ? null : pad.t + h * (1 - p.value)]);
    const drawn = xy.filter(([, y]) => y != null);
    if (drawn.length > 1) {
      root.append(svg("polyline", { points: drawn.map(([x, y]) => `${x},${y}`).join(" "),
        fill: "none", stroke: color, "stroke-width": 2.5, "stroke-linejoin": "round" }));
    }
    points.forEach((p, i) => {
      const [x, y] = xy[i];
      root.append(svg("text", { x, y: height - 8, "text-anchor": "middle" }, p.label));
      if (y == null) return;
      root.append(svg("circle", { cx: x, cy: y, r: 4, fill: "#fff", stroke: color, "stroke-width": 2 },
        svg("title", {}, `${p.label}: ${(p.value * 100).toFixed(1)}%`)),
      svg("text", { x, y: y - 9, "text-anchor": "middle", fill: "#1f2933" }, `${(p.value * 100).toFixed(0)}%`));
    });
    return root;
  }

  // rows: [{label, value, mark?}]; bars scaled to the largest value or mark.
  function bars(rows, { title, width = 560, color = "#c62828", markLabel = "" }) {
    const row = 26, pad = { l: 170, r: 44, t: 6, b: 6 };
    const height = pad.t + pad.b + Math.max(1, rows.length) * row;
    const max = Math.max(1, ...rows.map((r) => Math.max(r.value, r.mark || 0)));
    const w = width - pad.l - pad.r;
    const root = frame(width, height, title);
    rows.forEach((r, i) => {
      const y = pad.t + i * row;
      const len = (r.value / max) * w;
      const name = r.label.length > 12 ? r.label.slice(0, 11) + "…" : r.label;
      root.append(svg("text", { x: pad.l - 8, y: y + row / 2 + 4, "text-anchor": "end", fill: "#1f2933" }, name),
        svg("rect", { x: pad.l, y: y + 5, width: Math.max(len, 1), height: row - 10, rx: 3, fill: color },
          svg("title", {}, `${r.label}: ${r.value}`)),
        svg("text", { x: pad.l + len + 6, y: y + row / 2 + 4 }, r.value.toLocaleString()));
      if (r.mark != null) {
        const x = pad.l + (r.mark / max) * w;
        root.append(svg("line", { x1: x, x2: x, y1: y + 2, y2: y + row - 2, stroke: "#1f2933",
          "stroke-width": 2, "stroke-dasharray": "3 2" }, svg("title", {}, `${markLabel} ${r.mark}`)));
      }
    });
    return root;
  }

  return { line, bars };
})();
