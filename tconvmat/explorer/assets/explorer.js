// tconvmat explorer: draws the model the library computed (GET /api/model) and links the views.
// The page does no convolution arithmetic: which inputs and taps feed an output, the entries of C,
// the window of the flipped kernel, every value and expression come from the JSON model.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var CS = 30; // cell size, px (smaller for large grids: see cellSize)
  var state = { model: null, pair: 0, pointed: null, step: -1, timer: null, fixed: false, seq: 0 };

  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (parent) parent.appendChild(e);
    return e;
  }
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function view(name) { return $('[data-view="' + name + '"] svg'); }
  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
  function fit(svg) {
    var b = svg.getBBox();
    svg.setAttribute("width", Math.ceil(b.x + b.width + 6));
    svg.setAttribute("height", Math.ceil(b.y + b.height + 6));
  }
  function fmt(v) { return typeof v === "number" && !Number.isInteger(v) ? String(+v.toPrecision(6)) : String(v); }
  function key(a) { return a.join(","); }

  // One cell: a rect with a label; data attributes say what it is.
  function cell(g, x, y, text, cls, data, size) {
    var s = size || CS;
    var grp = el("g", { "class": "cell " + (cls || ""), transform: "translate(" + x + "," + y + ")" }, g);
    for (var k in data) grp.setAttribute("data-" + k, data[k]);
    el("rect", { width: s, height: s, rx: 2 }, grp);
    if (text !== "" && text !== undefined) {
      var t = String(text), fs = Math.min(12, s * 0.42, (1.9 * s) / Math.max(t.length, 1));
      el("text", { x: s / 2, y: s / 2 + fs * 0.36, "text-anchor": "middle", "font-size": fs.toFixed(1) }, grp, t);
    }
    return grp;
  }
  function label(g, x, y, text, anchor, cls) {
    return el("text", { x: x, y: y, "text-anchor": anchor || "start", "class": "label " + (cls || "") }, g, text);
  }

  // A spatial grid (1-D: one row) of the positions `n` (flat, C order) with shape `shape`.
  function rc(flat, shape) {
    if (shape.length === 1) return [0, flat];
    return [Math.floor(flat / shape[1]), flat % shape[1]];
  }
  function nSpatial(shape) { return shape.reduce(function (a, b) { return a * b; }, 1); }

  // ------------------------------------------------------------------ drawing
  function drawTensor(name, shape, records, kind) {
    // records: the model's inputs or outputs (channel, spatial, value)
    var svg = view(name); clear(svg);
    var m = state.model, sp = shape.slice(1), n = nSpatial(sp);
    var rows = sp.length === 1 ? 1 : sp[0], y0 = 18;
    for (var c = 0; c < shape[0]; c++) {
      var g = el("g", { transform: "translate(58," + y0 + ")" }, svg);
      label(g, -8, (rows * CS) / 2 + 4, (kind === "in" ? "x" : "y") + "[" + c + "]", "end");
      for (var s = 0; s < n; s++) {
        var r = records[c * n + s], p = rc(s, sp);
        var cls = kind + (kind === "out" && m.outpad[s] ? " outpad" : "");
        cell(g, p[1] * CS, p[0] * CS, fmt(r.value), cls, { flat: c * n + s, pos: key(r.index.slice(1)) });
      }
      if (c === 0) {
        var cols = sp.length === 1 ? sp[0] : sp[1];
        for (var j = 0; j < cols; j++) label(g, j * CS + CS / 2, -5, j, "middle", "idx");
      }
      y0 += rows * CS + 22;
    }
    fit(svg);
  }

  function drawC() {
    var svg = view("C"); clear(svg);
    var m = state.model, C = m.C, nr = C.shape[0], nc = C.shape[1];
    var s = Math.max(1, Math.min(30, 900 / Math.max(nc, 1), 480 / Math.max(nr, 1)));
    var g = el("g", { transform: "translate(40,24)", "class": s < 5 ? "tiny" : "" }, svg);
    el("rect", { x: 0, y: 0, width: nc * s, height: nr * s, "class": "cbg" }, g);
    el("rect", { id: "c-col", x: 0, y: 0, width: s, height: nr * s, "class": "band", visibility: "hidden" }, g);
    el("rect", { id: "c-row", x: 0, y: 0, width: nc * s, height: s, "class": "band", visibility: "hidden" }, g);
    var showText = s >= 18;
    C.entries.forEach(function (e, n) {
      var tap = e[2];
      var grp = cell(g, e[1] * s, e[0] * s, showText ? fmt(C.values[n]) : "", "entry", { row: e[0], col: e[1], tap: tap }, s);
      grp.firstChild.style.fill = (tap >= 0 ? m.tap_colors[tap % m.tap_colors.length] : "#bbb");
    });
    if (s >= 12) {
      for (var i = 0; i < nr; i++) label(g, -4, i * s + s / 2 + 4, i, "end", "idx");
      for (var j = 0; j < nc; j++) label(g, j * s + s / 2, -6, j, "middle", "idx");
    }
    fit(svg);
    if (m.C.entries.some(function (e) { return e[2] >= 0; })) drawTapKey(svg);
  }

  function pairInfo() {
    var v = state.model.views;
    return { c: v.pairs[state.pair][0], o: v.pairs[state.pair][1], n: state.pair };
  }

  function drawScatter(focusSpatial) {
    var svg = view("scatter"); clear(svg);
    var m = state.model, v = m.views;
    if (!v) { el("text", { x: 4, y: 20, "class": "label" }, svg, m.views_error); fit(svg); return; }
    var sc = v.scatter, P = pairInfo(), prod = sc.products[P.n], sums = sc.sums[P.n];
    var lo = sc.lo, hi = sc.hi, nd = lo.length, out = m.output_shape.slice(1);
    var top = 0;
    if (v.pairs.length > 1) {
      label(svg, 4, 14, "input channel " + P.c + " → output channel " + P.o + ": its share of y[" + P.o + "]", "start", "small");
      top = 18;
    }
    var multi = m.params.in_channels > 1 || m.params.out_channels > 1;
    // several channels: this panel is one pair's share x[c] ∗ w[c, o'], its rows the inputs x[c, i]
    var share = "x[" + P.c + "] ∗ w[" + P.c + "," + (P.o % (m.params.out_channels / m.params.groups)) + "]";
    if (nd === 1) {
      var g = el("g", { transform: "translate(" + (multi ? 120 : 64) + "," + (22 + top) + ")" }, svg);
      for (var j = lo[0]; j <= hi[0]; j++) label(g, (j - lo[0]) * CS + CS / 2, -6, j, "middle", "idx");
      sc.positions.forEach(function (taps, i) {
        var rowg = el("g", { "class": "srow", "data-input": i }, g);
        label(rowg, -8, i * CS + CS / 2 + 4, "x" + (m.params.in_channels > 1 ? P.c + "," : "") + i + "·w", "end");
        taps.forEach(function (pos, k) {
          var cls = "copy" + (sc.inside[i][k] ? "" : " crop");
          var grp = cell(rowg, (pos[0] - lo[0]) * CS, i * CS, fmt(prod[i][k]), cls, { input: i, tap: k, pos: key(pos) });
          grp.firstChild.style.fill = (m.tap_colors[k % m.tap_colors.length]);
        });
      });
      var ys = sc.positions.length * CS + 10;
      el("line", { x1: 0, x2: (hi[0] - lo[0] + 1) * CS, y1: ys - 5, y2: ys - 5, "class": "rule" }, g);
      label(g, -8, ys + CS / 2 + 4, multi ? share + " = Σ" : "Σ", "end");
      for (var p = lo[0]; p <= hi[0]; p++) {
        var inside = p >= 0 && p < out[0];
        cell(g, (p - lo[0]) * CS, ys, fmt(sums[p - lo[0]]), "sum" + (inside ? "" : " crop"), { pos: String(p) });
      }
    } else {
      var none = focusSpatial === null || focusSpatial === undefined, f = none ? 0 : focusSpatial;
      var W = hi[1] - lo[1] + 1, H = hi[0] - lo[0] + 1;
      var g2 = el("g", { transform: "translate(30," + (40 + top) + ")" }, svg);
      label(g2, 0, -24, (none ? "no input of channel " + P.c + " reaches the pointed output; " : "") +
        "copy of x[" + P.c + "][" + key(m.inputs[f].index.slice(1)) + "] · w (dashed: cropped)", "start");
      for (var r = 0; r < H; r++) for (var c = 0; c < W; c++) {
        var pr = r + lo[0], pc = c + lo[1];
        var ins = pr >= 0 && pr < out[0] && pc >= 0 && pc < out[1];
        cell(g2, c * CS, r * CS, "", "blank" + (ins ? "" : " crop"), { pos: pr + "," + pc });
      }
      for (var jj = 0; jj < W; jj++) label(g2, jj * CS + CS / 2, -6, jj + lo[1], "middle", "idx");
      for (var ii = 0; ii < H; ii++) label(g2, -4, ii * CS + CS / 2 + 4, ii + lo[0], "end", "idx");
      sc.positions[f].forEach(function (pos, k) {
        var grp = cell(g2, (pos[1] - lo[1]) * CS, (pos[0] - lo[0]) * CS, fmt(prod[f][k]),
          "copy" + (sc.inside[f][k] ? "" : " crop"), { input: f, tap: k, pos: key(pos) });
        grp.firstChild.style.fill = (m.tap_colors[k % m.tap_colors.length]);
      });
    }
    fit(svg);
    drawTapKey(svg);
  }

  function drawU() {
    var svg = view("u"); clear(svg);
    var m = state.model, v = m.views;
    if (!v) { el("text", { x: 4, y: 20, "class": "label" }, svg, m.views_error); fit(svg); return; }
    var sl = v.sliding, P = pairInfo(), us = sl.u_shape, n = nSpatial(us), u = sl.u[P.n];
    var g = el("g", { transform: "translate(40,22)" }, svg);
    var rows = us.length === 1 ? 1 : us[0], cols = us.length === 1 ? us[0] : us[1];
    for (var s = 0; s < n; s++) {
      var p = rc(s, us);
      cell(g, p[1] * CS, p[0] * CS, fmt(u[s]), "u " + sl.kind[s], { cell: s, pos: p.slice(us.length === 1 ? 1 : 0).join(","), source: sl.source[s] });
    }
    for (var j = 0; j < cols; j++) label(g, j * CS + CS / 2, -6, j, "middle", "idx");
    label(g, -8, rows * CS / 2 + 4, "u", "end");
    // the flipped kernel: 1-D in the row under u (placed at the window when pointed), 2-D beside u
    var wg = el("g", { id: "wflip", transform: "translate(" + (us.length === 1 ? 0 : (cols + 1) * CS) + "," + (us.length === 1 ? rows * CS + 14 : 0) + ")" }, g);
    label(wg, us.length === 1 ? -8 : 0, us.length === 1 ? CS / 2 + 4 : -6, "w′", us.length === 1 ? "end" : "start");
    fit(svg);
    drawLegend(svg);
  }

  // the tap colour key: one swatch per kernel tap, labelled with the weight entry it multiplies
  function drawTapKey(svg) {
    var m = state.model, b = svg.getBBox(), x = 0;
    var g = el("g", { "class": "tapkey", transform: "translate(" + Math.max(4, b.x) + "," + (b.y + b.height + 12) + ")" }, svg);
    label(g, 0, 11, "taps:", "start", "small");
    x = 36;
    m.tap_labels.forEach(function (t, k) {
      var grp = cell(g, x, 0, "", "key", { tap: k }, 14);
      grp.firstChild.style.fill = m.tap_colors[k % m.tap_colors.length];
      label(g, x + 18, 11, t, "start", "small");
      x += 26 + 7 * t.length;
    });
    fit(svg);
  }

  function drawLegend(svg) {
    var b = svg.getBBox(), g = el("g", { transform: "translate(40," + (b.y + b.height + 14) + ")" }, svg);
    [["u x", "input"], ["u zero", "inserted zero"], ["u pad", "padding"]].forEach(function (it, i) {
      cell(g, i * 110, 0, "", it[0] + " legend", {}, 14);
      label(g, i * 110 + 18, 11, it[1], "start", "small");
    });
    fit(svg);
  }

  function placeWindow(spatial) {
    // the flipped kernel over its window for output position `spatial` (coordinates from the model)
    var m = state.model, v = m.views; if (!v) return;
    var sl = v.sliding, P = pairInfo(), us = sl.u_shape, win = sl.windows[spatial];
    var wg = $("#wflip"); if (!wg) return;
    $all(".cell", wg).forEach(function (e) { e.parentNode.removeChild(e); });
    var wf = sl.w_flip[P.n], ks = m.params.kernel_size;
    win.forEach(function (pos, kappa) {
      var tap = sl.window_taps[kappa], color = m.tap_colors[tap % m.tap_colors.length];
      var target = $('[data-view="u"] .cell.u[data-pos="' + key(pos) + '"]');
      if (target) { target.classList.add("win"); target.setAttribute("data-tap", tap); target.firstChild.style.fill = (color); }
      var x, y;
      if (us.length === 1) { x = pos[0] * CS; y = 0; }
      else { var q = rc(kappa, ks); x = q[1] * CS; y = q[0] * CS; }
      var grp = cell(wg, x, y, fmt(wf[kappa]), "wcell", { tap: tap, kappa: kappa });
      grp.firstChild.style.fill = (color);
    });
    fit(view("u"));
  }

  function cellSize(m) {
    // one cell size for every grid of the model: the largest grid stays about 440 px across
    var dims = m.output_shape.slice(1).concat(m.input_shape.slice(1));
    if (m.views) dims = dims.concat(m.views.sliding.u_shape, m.views.scatter.lo.map(function (lo, a) { return m.views.scatter.hi[a] - lo + 1; }));
    var biggest = Math.max.apply(null, dims);
    return Math.max(14, Math.min(30, Math.floor(440 / biggest)));
  }

  function drawAll() {
    var m = state.model;
    CS = cellSize(m);
    drawTensor("x", m.input_shape, m.inputs, "in");
    drawTensor("y", m.output_shape, m.outputs, "out");
    drawC();
    drawScatter(null);
    drawU();
    $("#shapes").textContent = m.shape_arithmetic.join("\n");
    $("#torch").textContent = m.torch_call;
    var pl = $("#pair-label"), sel = $("#pair");
    sel.innerHTML = "";
    if (m.views) {
      m.views.pairs.forEach(function (p, i) {
        var o = document.createElement("option"); o.value = i; o.textContent = "x[" + p[0] + "] → y[" + p[1] + "]"; sel.appendChild(o);
      });
      sel.value = state.pair;
      pl.hidden = m.views.pairs.length < 2;
    } else pl.hidden = true;
    bindHover();
  }

  // ------------------------------------------------------------------ pointing
  function clearMarks() {
    $all(".hl, .cur, .win").forEach(function (e) {
      e.classList.remove("hl", "cur", "win");
      if (e.classList.contains("u") || e.classList.contains("in") || e.classList.contains("out")) {
        e.firstChild.style.fill = ""; e.removeAttribute("data-tap");
      }
    });
    var wg = $("#wflip"); if (wg) $all(".cell", wg).forEach(function (e) { e.parentNode.removeChild(e); });
    ["#c-col", "#c-row"].forEach(function (id) { var b = $(id); if (b) b.setAttribute("visibility", "hidden"); });
    $all("[data-view]").forEach(function (s) { delete s.dataset.pointed; });
  }

  function choosePair(inCh, outCh) {
    var v = state.model.views; if (!v) return;
    var best = -1;
    v.pairs.forEach(function (p, i) {
      if (best < 0 && (inCh === null || p[0] === inCh) && (outCh === null || p[1] === outCh)) best = i;
    });
    if (best < 0) v.pairs.forEach(function (p, i) { if (best < 0 && (outCh === null || p[1] === outCh)) best = i; });
    if (best >= 0 && best !== state.pair) { state.pair = best; $("#pair").value = best; drawU(); drawScatter(null); bindHover(); }
  }

  function tint(e, tap) {
    var m = state.model;
    e.setAttribute("data-tap", tap);
    e.firstChild.style.fill = (tap >= 0 ? m.tap_colors[tap % m.tap_colors.length] : "#bbb");
  }

  function bandAt(id, attr, n) {
    var C = state.model.C, b = $(id); if (!b) return;
    var s = +b.getAttribute(attr === "x" ? "width" : "height");
    b.setAttribute(attr, n * s); b.setAttribute("visibility", "visible");
  }

  function pointOutput(j) {
    var m = state.model, rec = m.outputs[j];
    if (m.views) choosePair(m.views.pairs[state.pair][1] === rec.channel ? m.views.pairs[state.pair][0] : null, rec.channel);
    clearMarks();
    state.pointed = { kind: "output", flat: j };
    $('[data-view="y"]').dataset.pointed = j;
    var yc = $('[data-view="y"] .cell[data-flat="' + j + '"]'); if (yc) yc.classList.add("cur");
    rec.contributors.forEach(function (t) {
      var xc = $('[data-view="x"] .cell[data-flat="' + t[0] + '"]');
      if (xc) { xc.classList.add("hl"); tint(xc, t[1]); }
    });
    $all('[data-view="C"] .entry[data-col="' + j + '"]').forEach(function (e) { e.classList.add("hl"); });
    bandAt("#c-col", "x", j);
    $('[data-view="C"]').dataset.pointed = "col " + j;
    if (m.views) {
      var P = pairInfo();
      if (m.params.ndim === 2) {
        var first = rec.contributors.filter(function (t) { return m.inputs[t[0]].channel === P.c; })[0];
        drawScatter(first ? m.inputs[first[0]].spatial : null); bindHover();
      }
      if (P.o === rec.channel) {
        placeWindow(rec.spatial);
        $('[data-view="u"]').dataset.pointed = rec.spatial;
      }
      $all('[data-view="scatter"] .cell[data-pos="' + key(rec.index.slice(1)) + '"]').forEach(function (e) { e.classList.add("hl"); });
    }
    var idx = "y<sub>" + rec.index.join(",") + "</sub>";
    var html = '<div class="eq">' + idx + " = " + rec.expression_html + "</div>";
    if (rec.numbers) html += '<div class="eq">' + "&nbsp;&nbsp;&nbsp;= " + rec.numbers + " = <b>" + fmt(rec.value) + "</b></div>";
    else html += '<div class="eq">&nbsp;&nbsp;&nbsp;= <b>' + fmt(rec.value) + "</b></div>";
    html += '<div class="small">inputs (channel, position) · tap: ' + rec.contributors.map(function (t) {
      return "x[" + m.inputs[t[0]].index.join(",") + "]·tap " + (t[1] >= 0 ? t[1] : "mixed");
    }).join(", ") + " — column " + j + " of C</div>";
    $("#expression").innerHTML = html;
    $("#expression").dataset.output = j;
  }

  function pointInput(i) {
    var m = state.model, rec = m.inputs[i];
    if (m.views) choosePair(rec.channel, null);
    clearMarks();
    state.pointed = { kind: "input", flat: i };
    $('[data-view="x"]').dataset.pointed = i;
    var xc = $('[data-view="x"] .cell[data-flat="' + i + '"]'); if (xc) xc.classList.add("cur");
    rec.targets.forEach(function (t) {
      var yc = $('[data-view="y"] .cell[data-flat="' + t[0] + '"]');
      if (yc) { yc.classList.add("hl"); tint(yc, t[1]); }
    });
    $all('[data-view="C"] .entry[data-row="' + i + '"]').forEach(function (e) { e.classList.add("hl"); });
    bandAt("#c-row", "y", i);
    $('[data-view="C"]').dataset.pointed = "row " + i;
    if (m.views) {
      if (m.params.ndim === 2) { drawScatter(rec.spatial); bindHover(); }
      var row = $('[data-view="scatter"] .srow[data-input="' + rec.spatial + '"]');
      if (row) $all(".cell", row).forEach(function (e) { e.classList.add("hl"); });
      if (m.params.ndim === 2) $all('[data-view="scatter"] .cell.copy').forEach(function (e) { e.classList.add("hl"); });
      $all('[data-view="u"] .cell.u[data-source="' + rec.spatial + '"]').forEach(function (e) { e.classList.add("cur"); });
    }
    $("#expression").innerHTML = '<div class="eq">x<sub>' + rec.index.join(",") + "</sub> = <b>" + fmt(rec.value) +
      "</b> scatters into</div><div class=\"small\">" + rec.targets.map(function (t) {
        return "y[" + m.outputs[t[0]].index.join(",") + "] (tap " + (t[1] >= 0 ? t[1] : "mixed") + ")";
      }).join(", ") + " — row " + i + " of C</div>";
    delete $("#expression").dataset.output;
  }

  function bindHover() {
    $all('[data-view="y"] .cell').forEach(function (e) {
      e.onmouseenter = function () { stop(); pointOutput(+e.getAttribute("data-flat")); };
    });
    $all('[data-view="x"] .cell').forEach(function (e) {
      e.onmouseenter = function () { stop(); pointInput(+e.getAttribute("data-flat")); };
    });
  }

  // ------------------------------------------------------------------ stepping
  function stepTo(n) {
    var m = state.model; if (!m) return;
    var gather = $("#step-mode").value === "gather", total = gather ? m.outputs.length : m.inputs.length;
    state.step = ((n % total) + total) % total;
    if (gather) pointOutput(state.step); else pointInput(state.step);
    $("#step-label").textContent = (gather ? "output " : "input ") + (state.step + 1) + " of " + total;
  }
  function stop() { if (state.timer) { clearInterval(state.timer); state.timer = null; $("#step-play").textContent = "▶ play"; } }
  function play() {
    if (state.timer) { stop(); return; }
    $("#step-play").textContent = "❚❚ pause";
    state.timer = setInterval(function () { stepTo(state.step + 1); }, 800);
  }

  // ------------------------------------------------------------------ the API
  function params() {
    var f = $("#controls"), q = [];
    ["ndim", "input_size", "kernel_size", "stride", "padding", "output_padding", "dilation",
      "in_channels", "out_channels", "groups", "padding_mode", "weight", "input"].forEach(function (n) {
      var v = f.elements[n].value;
      if ((n === "weight" || n === "input") && !v.trim()) return;
      q.push(encodeURIComponent(n) + "=" + encodeURIComponent(v));
    });
    return q.join("&");
  }

  function showError(msg) {
    var e = $("#error");
    if (msg) { e.textContent = msg; e.hidden = false; $("#views").classList.add("stale"); }
    else { e.hidden = true; e.textContent = ""; $("#views").classList.remove("stale"); }
  }

  function accept(m) {
    state.model = m; state.pair = 0; state.step = -1;
    showError(null);
    fillControls(m);
    drawAll();
    var pointed = state.pointed;
    if (pointed && pointed.kind === "output" && pointed.flat < m.outputs.length) pointOutput(pointed.flat);
    else if (pointed && pointed.kind === "input" && pointed.flat < m.inputs.length) pointInput(pointed.flat);
    else pointOutput(m.start);
    document.body.dataset.ready = String(++state.seq);
  }

  function fillControls(m) {
    var f = $("#controls"), p = m.params;
    var op = f.elements.output_padding, options = [[]];
    m.output_padding_allowed.forEach(function (vals) {
      var next = []; options.forEach(function (o) { vals.forEach(function (v) { next.push(o.concat([v])); }); }); options = next;
    });
    op.innerHTML = "";
    options.forEach(function (o) {
      var opt = document.createElement("option"); opt.value = o.join("x"); opt.textContent = o.join("x"); op.appendChild(opt);
    });
    op.value = p.output_padding.join("x");
    f.elements.weight.value = p.weight; f.elements.input.value = p.input;
    if (state.fixed) {
      f.elements.ndim.value = String(p.ndim);
      ["input_size", "kernel_size", "stride", "padding", "dilation"].forEach(function (n) { f.elements[n].value = p[n].join("x"); });
      ["in_channels", "out_channels", "groups", "padding_mode"].forEach(function (n) { f.elements[n].value = p[n]; });
    }
  }

  var pending = null;
  function request() {
    if (state.fixed) return;
    var url = "/api/model?" + params(), mine = ++state.seq;
    fetch(url).then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); }).then(function (res) {
      if (mine !== state.seq) return; // a newer request is on its way
      if (res[0] === 200) accept(res[1]);
      else { showError(res[1].error || "error " + res[0]); document.body.dataset.ready = String(++state.seq); }
    }).catch(function (e) { showError("the explorer server does not answer: " + e); });
  }
  function schedule() { clearTimeout(pending); pending = setTimeout(request, 120); }

  function init() {
    var embedded = JSON.parse($("#tconvmat-model").textContent || "null");
    var f = $("#controls");
    f.addEventListener("submit", function (e) { e.preventDefault(); });
    if (embedded) {
      state.fixed = true;
      $all("input, select, button", f).forEach(function (e) { e.disabled = true; });
      $("#fixed-note").hidden = false;
      accept(embedded);
    } else {
      $all("input, select", f).forEach(function (e) {
        e.addEventListener("input", function () {
          if (e.name === "ndim" || e.name === "stride" || e.name === "dilation") f.elements.output_padding.selectedIndex = 0; // all zeros: always allowed
          if (["weight", "input", "output_padding", "padding_mode", "padding"].indexOf(e.name) < 0) {
            f.elements.weight.value = ""; f.elements.input.value = ""; // new shapes: the distinct defaults
          }
          if (e.name === "output_padding" && !e.value) return;
          schedule();
        });
      });
      $("#reset-values").addEventListener("click", function () { f.elements.weight.value = ""; f.elements.input.value = ""; schedule(); });
      request();
    }
    $("#step-next").addEventListener("click", function () { stop(); stepTo(state.step + 1); });
    $("#step-prev").addEventListener("click", function () { stop(); stepTo(state.step - 1); });
    $("#step-play").addEventListener("click", play);
    $("#step-mode").addEventListener("change", function () { stop(); state.step = -1; stepTo(0); });
    $("#pair").addEventListener("change", function (e) {
      state.pair = +e.target.value; drawScatter(null); drawU(); bindHover();
      if (state.pointed && state.pointed.kind === "output") pointOutput(state.pointed.flat);
      else if (state.pointed) pointInput(state.pointed.flat);
    });
  }
  window.tconvmatExplorer = { state: state, pointOutput: pointOutput, pointInput: pointInput, stepTo: stepTo };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
