#include "results/report_assets.h"

namespace faultline::results {

const char* const kReportCss = R"FLCSS(
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 16px 32px;
  color: #222; }
header { border-left: 8px solid #999; padding: 4px 16px 8px; margin: 12px 0; background: #fafafa; }
header.valid { border-color: #2e9e44; } header.invalid { border-color: #d62728; }
header.unknown { border-color: #f39c12; }
h1 { font-size: 22px; margin: 6px 0; } h2 { font-size: 18px; margin: 22px 0 6px; }
h3 { font-size: 15px; margin: 14px 0 4px; }
.verdict { padding: 2px 10px; border-radius: 4px; color: #fff; background: #999; font-size: 18px; }
.valid .verdict { background: #2e9e44; } .invalid .verdict { background: #d62728; }
.unknown .verdict { background: #f39c12; }
.cause { font-weight: 600; margin: 4px 0; }
table.facts { border-collapse: collapse; margin: 6px 0; }
table.facts th { text-align: left; font-weight: 600; padding: 1px 14px 1px 0; color: #555; vertical-align: top; }
table.facts td { padding: 1px 0; }
ul.checkers { list-style: none; padding: 0; margin: 6px 0; }
ul.checkers li::before { content: "\25CF "; } ul.checkers li.valid::before { color: #2e9e44; }
ul.checkers li.invalid::before { color: #d62728; } ul.checkers li.unknown::before { color: #f39c12; }
ul.checkers .v { display: inline-block; min-width: 60px; color: #555; }
code { background: #eee; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
.note { background: #fff6d8; border: 1px solid #e8d48a; padding: 4px 8px; }
.hint { color: #666; margin: 2px 0 8px; }
#fl-status[data-status="error"] { background: #fde0e0; border: 1px solid #d62728; padding: 6px; }
.plot { width: 100%; height: 260px; margin: 8px 0 18px; }
#tl { position: relative; border: 1px solid #ddd; }
#tl-canvas { display: block; width: 100%; cursor: grab; }
#tl-tip { position: absolute; display: none; pointer-events: none; background: #fff;
  border: 1px solid #888; padding: 4px 8px; font-size: 12px; box-shadow: 0 2px 6px rgba(0,0,0,.2);
  z-index: 5; white-space: nowrap; }
#tl-tip td { padding: 0 6px 0 0; } #tl-tip td:first-child { color: #666; }
.tlbar { margin: 4px 0; } #tl-info { color: #555; margin-left: 10px; }
section.cx, section.findings { border: 1px solid #e3c0c0; border-radius: 4px; padding: 4px 12px 10px;
  margin: 10px 0; background: #fffafa; }
canvas.cxdiag { display: block; width: 100%; margin: 6px 0; }
table.steps { border-collapse: collapse; font-size: 13px; }
table.steps th, table.steps td { border-bottom: 1px solid #eee; padding: 2px 10px 2px 0; text-align: left;
  vertical-align: top; }
table.steps tr.step, table.steps tr.bad { cursor: pointer; }
table.steps tr.step:hover { background: #eef6ee; }
table.steps tr.bad { background: #fde0e0; font-weight: 600; }
table.steps td.state { font-family: ui-monospace, monospace; max-width: 520px; overflow-wrap: anywhere; }
a.op { color: #1f5fbf; cursor: pointer; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; background: #d62728;
  font-size: 12px; }
.tag.unexpected { background: #8e44ad; } .tag.bounds { background: #c0392b; }
nav { margin: 6px 0 10px; }
footer { margin-top: 24px; color: #888; font-size: 12px; }
)FLCSS";

const char* const kReportJs = R"FLJS(
(function () {
  "use strict";
  var statusEl = document.getElementById("fl-status");
  var failed = false;
  function fail(msg) {
    failed = true;
    statusEl.setAttribute("data-status", "error");
    statusEl.textContent = "report script error: " + msg;
  }
  window.addEventListener("error", function (e) {
    fail((e.message || "error") + " (line " + e.lineno + ")");
  });

  var COLORS = ["#2e9e44", "#d62728", "#f39c12"];  // ok, fail, info
  var TYPES = ["ok", "fail", "info"];
  var KIND = {
    partition: ["rgba(140, 80, 220, 0.15)", "#6a3fb5"],
    pause: ["rgba(40, 120, 240, 0.15)", "#1f5fbf"],
    kill: ["rgba(90, 90, 90, 0.18)", "#333"]
  };
  function kindFill(k) { return (KIND[k] || ["rgba(230, 190, 0, 0.22)"])[0]; }
  function kindInk(k) { return (KIND[k] || [0, "#7a5c00"])[1]; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function niceStep(x) {
    if (!(x > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(x)));
    var ms = [1, 2, 5, 10];
    for (var i = 0; i < ms.length; i++) if (ms[i] * p >= x) return ms[i] * p;
    return 10 * p;
  }

  var D = JSON.parse(document.getElementById("fl-data").textContent);
  var US = D.unit === "us";
  function sec(t) { return US ? t / 1e6 : t; }
  function fmtT(t) { return US ? (t / 1e6).toFixed(4) + " s" : "event " + Math.round(t); }
  function fmtDur(d) {
    if (!US) return d + " events";
    if (d < 1000) return d + " µs";
    if (d < 1e6) return (d / 1000).toFixed(1) + " ms";
    return (d / 1e6).toFixed(2) + " s";
  }
  function fmtAxis(t, step) {
    if (!US) return String(t);
    var s = t / 1e6, st = step / 1e6;
    var digits = st >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(st)));
    return s.toFixed(digits) + " s";
  }

  // ---- the operations, decoded from their columns --------------------------------------------
  var o = D.ops, n = o.lane.length;
  var O = {
    n: n, lane: new Int32Array(n), t0: new Float64Array(n), t1: new Float64Array(n),
    open: new Uint8Array(n), type: new Uint8Array(n), ii: new Float64Array(n),
    ci: new Float64Array(n), ev: new Map()
  };
  (function () {
    var t = 0, ii = 0;
    for (var i = 0; i < n; i++) {
      t += o.t0[i];
      O.t0[i] = t;
      var d = o.d[i];
      O.open[i] = d < 0 ? 1 : 0;
      O.t1[i] = d < 0 ? Math.max(D.end, t) : t + d;
      O.lane[i] = o.lane[i];
      var c = o.type.charAt(i);
      O.type[i] = c === "o" ? 0 : c === "f" ? 1 : 2;
      ii += o.ii[i];
      O.ii[i] = ii;
      O.ci[i] = o.ci[i] < 0 ? -1 : ii + o.ci[i];
      O.ev.set(ii, i);
      if (O.ci[i] >= 0) O.ev.set(O.ci[i], i);
    }
  })();
  function opLabel(i) {
    var v = o.vs[o.v[i]];
    return o.fs[o.f[i]] + (v === "null" ? "" : " " + v);
  }
  function opHtml(i) {
    var rows = [
      ["operation", opLabel(i)], ["outcome", TYPES[O.type[i]] +
        (O.open[i] ? " (never completed)" : "") + (o.errs[o.err[i]] && O.type[i] ? " " + o.errs[o.err[i]] : "")],
      ["process", String(o.p[i])]
    ];
    if (o.keys[o.key[i]] !== "") rows.push(["key", o.keys[o.key[i]]]);
    if (o.node && o.nodes[o.node[i]] !== "") rows.push(["node", o.nodes[o.node[i]]]);
    rows.push(["invoked", fmtT(O.t0[i])]);
    if (!O.open[i]) rows.push(["latency", fmtDur(O.t1[i] - O.t0[i])]);
    rows.push(["events", O.ii[i] + (O.ci[i] >= 0 ? " .. " + O.ci[i] : " .. never")]);
    return "<table>" + rows.map(function (r) {
      return "<tr><td>" + esc(r[0]) + "</td><td>" + esc(r[1]) + "</td></tr>";
    }).join("") + "</table>";
  }

  // ---- throughput and latency (dygraphs) ----------------------------------------------------
  function shade(periods) {
    return function (ctx, area, g) {
      ctx.save();
      ctx.font = "11px sans-serif";
      periods.forEach(function (p, k) {
        var x0 = g.toDomXCoord(sec(p.t0)), x1 = g.toDomXCoord(sec(p.t1));
        if (x1 < area.x || x0 > area.x + area.w) return;
        x0 = Math.max(x0, area.x);
        x1 = Math.min(Math.max(x1, x0 + 2), area.x + area.w);
        ctx.fillStyle = kindFill(p.kind);
        ctx.fillRect(x0, area.y, x1 - x0, area.h);
        ctx.fillStyle = kindInk(p.kind);
        ctx.fillText(p.kind + (p.label ? " " + p.label : ""), x0 + 3, area.y + 12 + (k % 3) * 12);
      });
      ctx.restore();
    };
  }
  function plots() {
    var made = 0;
    if (typeof Dygraph === "undefined" || !document.getElementById("throughput")) return 0;
    var end = Math.max(D.end, 1), width = Math.max(niceStep(end / 150), US ? 1000 : 1);
    var nb = Math.floor(end / width) + 1, c = [new Float64Array(nb), new Float64Array(nb), new Float64Array(nb)];
    for (var i = 0; i < n; i++) if (!O.open[i]) c[O.type[i]][Math.floor(O.t1[i] / width)]++;
    var scale = US ? 1e6 / width : 1, rows = [];
    for (var b = 0; b < nb; b++) rows.push([sec(b * width), c[0][b] * scale, c[1][b] * scale, c[2][b] * scale]);
    var xlabel = US ? "time since the test started (s)" : "event index";
    var tEl = document.getElementById("throughput"), lEl = document.getElementById("latency");
    if (rows.length) {
      new Dygraph(tEl, rows, {
        labels: ["time", "ok", "fail", "info"], colors: COLORS, title: "Throughput",
        xlabel: xlabel, ylabel: US ? "completions per second" : "completions per " + width + " events",
        underlayCallback: shade(D.nemesis), legend: "always", strokeWidth: 1.5, stepPlot: true
      });
      made++;
    }
    tEl.setAttribute("data-points", String(rows.length));
    var lrows = [], ymin = Infinity, ymax = 0;
    for (i = 0; i < n; i++) {
      if (O.open[i]) continue;
      var lat = O.t1[i] - O.t0[i];
      var r = [sec(O.t0[i]), null, null, null], y = US ? Math.max(lat / 1000, 0.001) : Math.max(lat, 0.5);
      r[1 + O.type[i]] = y;
      ymin = Math.min(ymin, y);
      ymax = Math.max(ymax, y);
      lrows.push(r);
    }
    if (lrows.length) {
      new Dygraph(lEl, lrows, {
        labels: ["time", "ok", "fail", "info"], colors: COLORS, title: "Latency (log scale)",
        xlabel: xlabel, ylabel: US ? "latency (ms)" : "latency (events)", logscale: true,
        drawPoints: true, strokeWidth: 0, pointSize: lrows.length < 5000 ? 3 : 1.5,
        highlightCircleSize: 4, valueRange: [ymin / 2, ymax * 2],
        underlayCallback: shade(D.nemesis), legend: "always"
      });
      made++;
    }
    lEl.setAttribute("data-points", String(lrows.length));
    return made;
  }

  // ---- the timeline: lanes of operations on one canvas ---------------------------------------
  var TL = (function () {
    var wrap = document.getElementById("tl"), canvas = document.getElementById("tl-canvas");
    var tip = document.getElementById("tl-tip"), info = document.getElementById("tl-info");
    var ctx = canvas.getContext("2d");
    var L = Math.max(D.lanes.length, 1), LM = 96, TOP = 40, AX = 24;
    var laneH = Math.max(3, Math.min(18, Math.floor(600 / L)));
    var H = TOP + L * laneH + AX;
    canvas.style.height = H + "px";
    var full = {lo: 0, hi: Math.max(D.end, 1) * 1.01 + 1};
    var view = {lo: full.lo, hi: full.hi};
    var minSpan = US ? 20 : 2;
    var marked = [];
    // Completion times' running maximum over the operations (sorted by invoke): the first
    // visible operation is found by binary search. Never-completed ones are drawn apart.
    var pmax = new Float64Array(n), openOps = [], m = -Infinity, i;
    for (i = 0; i < n; i++) {
      if (O.open[i]) openOps.push(i); else m = Math.max(m, O.t1[i]);
      pmax[i] = m;
    }
    var laneOps = [];
    for (i = 0; i < L; i++) laneOps.push([]);
    for (i = 0; i < n; i++) laneOps[O.lane[i]].push(i);
    var hatch = (function () {
      var c = document.createElement("canvas");
      c.width = c.height = 6;
      var x = c.getContext("2d");
      x.fillStyle = "rgba(243, 156, 18, 0.35)";
      x.fillRect(0, 0, 6, 6);
      x.strokeStyle = COLORS[2];
      x.beginPath(); x.moveTo(0, 6); x.lineTo(6, 0); x.stroke();
      return ctx.createPattern(c, "repeat");
    })();

    // The plot's width, measured once per draw and per event: reading clientWidth for every
    // operation costs a layout query each (300 ms for 100,000 operations).
    var pw = 10;
    function measure() { pw = Math.max(canvas.clientWidth - LM, 10); }
    function plotW() { return pw; }
    function X(t) { return LM + (t - view.lo) / (view.hi - view.lo) * plotW(); }
    function T(x) { return view.lo + (x - LM) / plotW() * (view.hi - view.lo); }
    function firstInvokedAfter(t) {
      var lo = 0, hi = n;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (O.t0[mid] <= t) lo = mid + 1; else hi = mid; }
      return lo;
    }
    function firstEndingFrom(t) {
      var lo = 0, hi = n;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (pmax[mid] < t) lo = mid + 1; else hi = mid; }
      return lo;
    }
    function draw() {
      var started = performance.now();
      measure();
      var dpr = window.devicePixelRatio || 1, cw = canvas.clientWidth || 800;
      canvas.width = Math.round(cw * dpr);
      canvas.height = Math.round(H * dpr);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, cw, H);
      ctx.font = "10px sans-serif";
      ctx.textBaseline = "middle";
      var every = Math.ceil(10 / laneH);
      for (var l = 0; l < L; l++) {
        if (l % 2) { ctx.fillStyle = "#f4f4f4"; ctx.fillRect(LM, TOP + l * laneH, cw - LM, laneH); }
        if (l % every === 0) {
          ctx.fillStyle = "#444";
          ctx.fillText(D.lanes[l] || "", 4, TOP + l * laneH + laneH / 2, LM - 8);
        }
      }
      ctx.save();
      ctx.beginPath(); ctx.rect(LM, 0, cw - LM, H); ctx.clip();
      D.nemesis.forEach(function (p, k) {
        var x0 = X(p.t0), x1 = Math.max(X(p.t1), x0 + 2);
        if (x1 <= LM || x0 > cw) return;
        ctx.fillStyle = kindFill(p.kind);
        ctx.fillRect(x0, TOP - 4, x1 - x0, L * laneH + 4);
        ctx.fillStyle = kindInk(p.kind);
        ctx.fillText(p.kind + (p.label ? " " + p.label : ""), Math.max(x0, LM) + 3, 8 + (k % 3) * 11);
      });
      var a = firstEndingFrom(view.lo), b = firstInvokedAfter(view.hi);
      var count = Math.max(0, b - a), mode, pad = laneH >= 6 ? 1 : 0, bh = laneH - 2 * pad;
      if (count > 5000) {
        mode = "aggregate";
        var w = Math.max(1, Math.ceil(cw - LM)), masks = new Uint8Array(L * w);
        for (i = a; i < b; i++) {
          if (O.open[i] || O.t1[i] < view.lo) continue;
          var x0 = Math.floor(X(O.t0[i]) - LM), x1 = Math.floor(X(O.t1[i]) - LM);
          if (x0 < 0) x0 = 0;
          if (x1 >= w) x1 = w - 1;
          var bit = 1 << O.type[i], base = O.lane[i] * w;
          for (var x = x0; x <= x1; x++) masks[base + x] |= bit;
        }
        // Per lane and pixel column: a green band if an ok operation covers it, red and orange
        // bands below for fail and info; written as pixels (a fillRect per run is too slow at
        // hundreds of lanes) into an image the width of the plot, then drawn over the lanes.
        var hh = L * laneH, img = ctx.createImageData(w, hh);
        var px = new Uint32Array(img.data.buffer);
        var C32 = [0xff449e2e, 0xff2827d6, 0xff129cf3];  // COLORS as little-endian RGBA
        for (l = 0; l < L; l++) {
          for (x = 0; x < w; x++) {
            var mk = masks[l * w + x];
            if (!mk) continue;
            for (var t = 0; t < 3; t++) {
              if (!(mk & (1 << t))) continue;
              var r0 = l * laneH + pad + Math.floor(t * bh / 3);
              var r1 = Math.max(l * laneH + pad + Math.floor((t + 1) * bh / 3), r0 + 1);
              for (var row = r0; row < r1 && row < hh; row++) px[row * w + x] = C32[t];
            }
          }
        }
        var off = document.createElement("canvas");
        off.width = w;
        off.height = hh;
        off.getContext("2d").putImageData(img, 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(off, LM, TOP, w, hh);
      } else {
        mode = "bars";
        for (i = a; i < b; i++) {
          if (O.open[i] || O.t1[i] < view.lo) continue;
          var bx0 = X(O.t0[i]), bx1 = X(O.t1[i]), y = TOP + O.lane[i] * laneH + pad;
          ctx.fillStyle = COLORS[O.type[i]];
          ctx.fillRect(bx0, y, Math.max(bx1 - bx0, 1), bh);
          if (bx1 - bx0 > 40 && laneH >= 12) {
            ctx.fillStyle = "#fff";
            var lx = Math.max(bx0, LM) + 3, chars = Math.floor((bx1 - lx - 3) / 6);
            var text = opLabel(i);
            if (chars > 2) ctx.fillText(text.length > chars ? text.slice(0, chars - 1) + "…" : text, lx, y + bh / 2);
          }
        }
      }
      openOps.forEach(function (j) {
        if (O.t0[j] > view.hi) return;
        var x0 = X(O.t0[j]);
        ctx.fillStyle = hatch;
        ctx.fillRect(x0, TOP + O.lane[j] * laneH + pad, Math.max(X(O.t1[j]) - x0, 1), bh);
      });
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#000";
      marked.forEach(function (j) {
        var x0 = X(O.t0[j]), x1 = Math.max(X(O.t1[j]), x0 + 2), y = TOP + O.lane[j] * laneH;
        ctx.strokeRect(x0 - 1, y - 1, x1 - x0 + 2, laneH + 2);
        ctx.beginPath(); ctx.moveTo(x0 - 5, y - 8); ctx.lineTo(x0 + 5, y - 8); ctx.lineTo(x0, y - 1);
        ctx.fillStyle = "#000"; ctx.fill();
      });
      ctx.restore();
      // The time axis.
      var step = niceStep((view.hi - view.lo) / 8), yAx = TOP + L * laneH;
      ctx.fillStyle = "#444";
      ctx.strokeStyle = "#bbb";
      ctx.lineWidth = 1;
      ctx.textBaseline = "top";
      for (var tk = Math.ceil(view.lo / step) * step; tk <= view.hi; tk += step) {
        var xt = X(tk);
        if (xt < LM) continue;
        ctx.beginPath(); ctx.moveTo(xt, TOP); ctx.lineTo(xt, yAx + 4); ctx.stroke();
        ctx.fillText(fmtAxis(tk, step), xt + 2, yAx + 6);
      }
      ctx.textBaseline = "middle";
      info.textContent = fmtT(Math.max(view.lo, 0)) + " – " + fmtT(view.hi) + ": " + count +
        " operations in view" + (mode === "aggregate" ? " (aggregated per pixel; zoom in for single operations)" : "");
      wrap.setAttribute("data-drawn", String(count));
      wrap.setAttribute("data-mode", mode);
      wrap.setAttribute("data-marked", String(marked.length));
      wrap.setAttribute("data-draw-ms", (performance.now() - started).toFixed(1));
    }
    var pending = false;
    function redraw() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; draw(); });
    }
    function setView(lo, hi) {
      var span = Math.max(hi - lo, minSpan), fullSpan = full.hi - full.lo;
      if (span >= fullSpan) { lo = full.lo; hi = full.hi; } else {
        hi = lo + span;
        if (lo < full.lo) { hi += full.lo - lo; lo = full.lo; }
        if (hi > full.hi) { lo -= hi - full.hi; hi = full.hi; }
      }
      view.lo = lo; view.hi = hi;
      redraw();
    }
    function zoom(f, tc) { setView(tc - (tc - view.lo) * f, tc + (view.hi - tc) * f); }
    canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      measure();
      var r = canvas.getBoundingClientRect();
      zoom(Math.exp(e.deltaY * 0.0015), T(Math.max(e.clientX - r.left, LM)));
    }, {passive: false});
    var drag = null;
    canvas.addEventListener("mousedown", function (e) {
      drag = {x: e.clientX, lo: view.lo, hi: view.hi};
      canvas.style.cursor = "grabbing";
    });
    window.addEventListener("mouseup", function () { drag = null; canvas.style.cursor = "grab"; });
    canvas.addEventListener("mouseleave", function () { tip.style.display = "none"; });
    canvas.addEventListener("dblclick", function () { setView(full.lo, full.hi); });
    canvas.addEventListener("mousemove", function (e) {
      measure();
      var r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
      if (drag) {
        var dt = (e.clientX - drag.x) / plotW() * (drag.hi - drag.lo);
        setView(drag.lo - dt, drag.hi - dt);
        tip.style.display = "none";
        return;
      }
      var l = Math.floor((y - TOP) / laneH), hit = -1;
      if (x >= LM && l >= 0 && l < L) {
        var t = T(x), tol = 3 / plotW() * (view.hi - view.lo), list = laneOps[l];
        var lo = 0, hi = list.length;
        while (lo < hi) { var mid = (lo + hi) >> 1; if (O.t0[list[mid]] <= t + tol) lo = mid + 1; else hi = mid; }
        for (var k = lo - 1; k >= 0 && k >= lo - 64; k--) {
          if (O.t1[list[k]] >= t - tol) { hit = list[k]; break; }
        }
      }
      var html = "";
      if (hit >= 0) html = opHtml(hit);
      else if (y < TOP - 4 && x >= LM) {
        var tn = T(x);
        D.nemesis.forEach(function (p) {
          if (p.t0 <= tn && tn <= Math.max(p.t1, p.t0 + 3 / plotW() * (view.hi - view.lo))) {
            html += "<div><b>" + esc(p.kind) + "</b> " + esc(p.label) + ": " + fmtT(p.t0) + " – " + fmtT(p.t1) + "</div>";
          }
        });
      }
      if (!html) { tip.style.display = "none"; return; }
      tip.innerHTML = html;
      tip.style.display = "block";
      tip.style.left = Math.min(x + 14, Math.max(canvas.clientWidth - tip.offsetWidth - 4, 0)) + "px";
      tip.style.top = (y + 14) + "px";
    });
    document.getElementById("tl-in").addEventListener("click", function () { zoom(0.5, (view.lo + view.hi) / 2); });
    document.getElementById("tl-out").addEventListener("click", function () { zoom(2, (view.lo + view.hi) / 2); });
    document.getElementById("tl-reset").addEventListener("click", function () { marked = []; setView(full.lo, full.hi); });
    window.addEventListener("resize", redraw);
    // Shows the operations with these event indices, marked, with some context around them.
    function jump(events) {
      var ids = [];
      events.forEach(function (e) {
        var j = O.ev.get(e);
        if (j !== undefined && ids.indexOf(j) < 0) ids.push(j);
      });
      if (!ids.length) return;
      var lo = Infinity, hi = -Infinity;
      ids.forEach(function (j) { lo = Math.min(lo, O.t0[j]); hi = Math.max(hi, O.t1[j]); });
      var span = Math.max(hi - lo, (full.hi - full.lo) / 400, minSpan);
      marked = ids;
      view.lo = view.hi = 0;
      setView(lo - span * 0.6, hi + span * 0.6);
      draw();
      document.getElementById("timeline").scrollIntoView();
    }
    // Shows the time range [lo, hi] (seconds, or event indices for a history without times).
    function show(lo, hi) {
      var k = US ? 1e6 : 1;
      setView(lo * k, hi * k);
      draw();
    }
    draw();
    return {jump: jump, draw: draw, show: show};
  })();

  // ---- counterexample diagrams, Porcupine style ----------------------------------------------
  function drawCx(canvas) {
    var ops = JSON.parse(canvas.getAttribute("data-ops") || "[]");
    if (!ops.length) { canvas.style.display = "none"; return 0; }
    var procs = [];
    ops.forEach(function (p) { if (procs.indexOf(p.p) < 0) procs.push(p.p); });
    procs.sort(function (a, b) { return a - b; });
    var lo = Infinity, hi = -Infinity;
    ops.forEach(function (p) { lo = Math.min(lo, p.t0); hi = Math.max(hi, p.t1 >= 0 ? p.t1 : p.t0); });
    hi += (hi - lo) * 0.05 + 1;
    var LM = 90, laneH = 24, cw = canvas.clientWidth || 800, H = procs.length * laneH + 8;
    var dpr = window.devicePixelRatio || 1;
    canvas.style.height = H + "px";
    canvas.width = Math.round(cw * dpr);
    canvas.height = Math.round(H * dpr);
    var c = canvas.getContext("2d");
    c.setTransform(dpr, 0, 0, dpr, 0, 0);
    c.font = "11px sans-serif";
    c.textBaseline = "middle";
    function X(t) { return LM + (t - lo) / (hi - lo) * (cw - LM - 4); }
    procs.forEach(function (p, l) {
      c.fillStyle = "#444";
      c.fillText("process " + p, 4, 4 + l * laneH + laneH / 2);
    });
    var boxes = [];
    ops.forEach(function (p) {
      var l = procs.indexOf(p.p), y = 4 + l * laneH + 2, x0 = X(p.t0);
      var x1 = Math.max(p.t1 >= 0 ? X(p.t1) : cw - 4, x0 + 3), h = laneH - 4;
      var info = / \(info\)$/.test(p.text);
      c.fillStyle = p.role === "fail" ? COLORS[1] : p.role === "concurrent" ? "#e6e6e6" : info ? "#f5c46b" : "#9ed3a8";
      c.fillRect(x0, y, x1 - x0, h);
      c.strokeStyle = p.role === "fail" ? "#8b0000" : p.role === "concurrent" ? COLORS[2] : "#2e7d3c";
      c.lineWidth = p.role === "concurrent" ? 1.5 : 1;
      c.strokeRect(x0, y, x1 - x0, h);
      c.fillStyle = p.role === "fail" ? "#fff" : "#111";
      var label = (p.role === "step" ? p.step + ". " : p.role === "fail" ? "✗ " : "") + p.text;
      // Cut, not squeezed, to the bar; a narrow bar keeps its step number.
      var room = x1 - x0 - 6;
      if (c.measureText(label).width > room && p.role === "step") label = String(p.step);
      c.save();
      c.beginPath(); c.rect(x0, y, x1 - x0, h); c.clip();
      c.fillText(label, x0 + 3, y + h / 2);
      c.restore();
      boxes.push([x0, y, x1, y + h, p.ev]);
    });
    canvas.addEventListener("click", function (e) {
      var r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
      boxes.forEach(function (b) { if (x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]) TL.jump([b[4]]); });
    });
    return ops.length;
  }

  var plotsStarted = performance.now();
  var plotsMade = plots();
  document.body.setAttribute("data-plots-ms", (performance.now() - plotsStarted).toFixed(0));
  document.body.setAttribute("data-plots", String(plotsMade));
  var cxDrawn = 0;
  Array.prototype.forEach.call(document.querySelectorAll("canvas.cxdiag"), function (cv) {
    if (drawCx(cv) > 0) cxDrawn++;
  });
  document.body.setAttribute("data-cx-drawn", String(cxDrawn));
  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-ev]") : null;
    if (!el) return;
    e.preventDefault();
    TL.jump(el.getAttribute("data-ev").split(",").map(Number));
  });
  // report.html#ev=14,15 opens with those operations shown in the timeline.
  var m = /[#&]ev=([0-9,]+)/.exec(location.hash);
  if (m) TL.jump(m[1].split(",").map(Number));
  // report.html#t=10,12 opens with the timeline showing 10 s to 12 s.
  var tm = /[#&]t=([0-9.]+),([0-9.]+)/.exec(location.hash);
  if (tm) TL.show(Number(tm[1]), Number(tm[2]));
  if (!failed) {
    statusEl.setAttribute("data-status", "ok");
    statusEl.textContent = "";
  }
})();
)FLJS";

}  // namespace faultline::results
