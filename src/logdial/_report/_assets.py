"""The report page's stylesheet and script: constants, inlined and allowed by their CSP hashes."""

from __future__ import annotations

import base64
import colorsys
import hashlib
from collections.abc import Iterable
from typing import Final

__all__ = ["CSS", "DETAIL_CSS", "DISTINCT_COLOURS", "JS", "PALETTE", "colour_css", "csp", "kind_colour"]

#: The first twelve kinds' colours (Tableau 10 and two more); later kinds get hues of
#: their own (``kind_colour``), so that no two kinds share a colour.
PALETTE: Final = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#8c8c8c", "#1f77b4", "#17becf",
)  # fmt: skip
# Later kinds: 144 hues, visited 89 steps apart (consecutive Fibonacci numbers: about a
# golden angle), at ten lightness and saturation levels, dark enough for white text.
_HUES: Final = 144
_HUE_STEP: Final = 89
_LEVELS: Final = tuple((light, sat) for sat in (0.62, 0.9) for light in (0.40, 0.30, 0.47, 0.35, 0.25))
#: How many kinds have colours of their own; later ones reuse them, in the same order.
DISTINCT_COLOURS: Final = len(PALETTE) + _HUES * len(_LEVELS)


def kind_colour(number: int) -> str:
    """
    The colour of kind ``number``: the palette's, then hues about a golden angle apart;
    the first ``DISTINCT_COLOURS`` kinds each have their own.

    >>> kind_colour(0), kind_colour(12), kind_colour(13)
    ('#4e79a7', '#a52727', '#274ca5')
    """
    if number < len(PALETTE):
        return PALETTE[number]
    n = (number - len(PALETTE)) % (_HUES * len(_LEVELS))
    hue = (n * _HUE_STEP) % _HUES / _HUES
    lightness, saturation = _LEVELS[n // _HUES]
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def colour_css(numbers: Iterable[int]) -> str:
    """
    The style rules that colour the marks, swatches and labels of the kinds ``numbers``.
    """
    return "".join(
        f".k{i}{{fill:{c}}} .sw.k{i},.kind.k{i}{{background:{c}}}\n" for i in numbers for c in (kind_colour(i),)
    )


CSS: Final = (
    """
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#dfe3ea;--bg:#f6f7f9;--card:#fff;--accent:#2f6fde;--sel:#fff4c2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);
background:var(--bg)}
header{padding:14px 24px 10px;background:#1d2330;color:#fff}
header h1{margin:0;font-size:19px;font-weight:600}
header .files{margin:4px 0 0;color:#c4cad6;font-size:12.5px;word-break:break-all}
nav{padding:6px 24px;background:#283042}
nav a{color:#dfe6f5;margin-right:18px;text-decoration:none;font-size:13px}
nav a:hover{text-decoration:underline}
main{padding:8px 24px 40px}
section{margin-top:18px}
h2{font-size:16px;margin:0 0 8px}
h3{font-size:13.5px;margin:14px 0 4px;color:var(--muted);font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px}
.card .v{display:block;font-size:20px;font-weight:600}
.card .l{color:var(--muted);font-size:12px}
.tables{display:flex;flex-wrap:wrap;gap:14px;margin-top:12px;align-items:flex-start}
.tables>div{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px;max-height:320px;
overflow:auto}
table{border-collapse:collapse}
th,td{text-align:left;padding:2px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);font-weight:600;position:sticky;top:0;background:var(--card)}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
button.f{border:0;background:none;padding:0;color:var(--accent);cursor:pointer;font:inherit;text-align:left}
button.f:hover{text-decoration:underline}
.kind{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-size:12px;white-space:nowrap}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin-bottom:6px;font-size:12.5px}
.timeline{display:grid;grid-template-columns:230px minmax(0,1fr);background:var(--card);border:1px solid var(--line);
border-radius:8px;max-height:420px;overflow:auto}
.lanes{font-size:12px;border-right:1px solid var(--line)}
.lanes .axis{height:22px}
.lane-label{height:18px;line-height:18px;padding:0 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
cursor:pointer}
.lane-label:hover{background:var(--sel)}
.lane-label .cnt{color:var(--muted)}
svg.marks{display:block}
svg .lane{fill:#fff}
svg .lane.alt{fill:#f3f5f8}
svg .grid{stroke:#d5dae3}
svg .tick{font-size:11px;fill:var(--muted)}
svg .mark{cursor:pointer;opacity:.85;width:3px;height:12px}
svg .mark:hover{opacity:1;stroke:#000;stroke-width:1}
svg .mark.off{opacity:.08}
svg .mark.cur{stroke:#000;stroke-width:2;opacity:1}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:8px}
.filters select,.filters input{font:inherit;padding:3px 6px;border:1px solid #b9c1cd;border-radius:5px;background:#fff}
.filters input{min-width:260px}
.filters .count{color:var(--muted)}
.split{display:grid;grid-template-columns:minmax(0,1.5fr) minmax(0,1fr);gap:14px;align-items:stretch}
.table-wrap{background:var(--card);border:1px solid var(--line);border-radius:8px;max-height:75vh;min-height:120px;
overflow:auto}
#event-table{width:100%;font-size:12.5px;table-layout:fixed}
#event-table col.c-i{width:60px}#event-table col.c-t{width:128px}#event-table col.c-s{width:80px}
#event-table col.c-r{width:44px}#event-table col.c-x{width:68px}#event-table col.c-k{width:158px}
#event-table col.c-p{width:70px}
@media (max-width:1300px){.split{grid-template-columns:minmax(0,1fr)}#detail-frame{flex:none;height:calc(75vh - 90px)}}
#event-table th{z-index:1}
#event-table tbody tr{cursor:pointer;height:22px}
#event-table tbody tr.pad{cursor:default;height:auto}
#event-table tbody tr.pad td{padding:0;border:0;height:0}
#event-table tbody tr:hover{background:#eef3fc}
#event-table tbody tr.pad:hover{background:none}
#event-table tbody tr.sel{background:var(--sel)}
#event-table td{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-top:0;padding-bottom:0;height:22px}
#event-table td.t{font-variant-numeric:tabular-nums}
#event-table a{color:var(--accent);text-decoration:none}
#detail{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;display:flex;
flex-direction:column;min-width:0;min-height:120px}
#detail .hint{color:var(--muted)}
.note{color:#8a5a00;font-size:12.5px}
.related{display:flex;flex-direction:column;gap:3px;margin:4px 0 8px;font-size:13px}
.related a{color:var(--accent);text-decoration:none}
#detail-frame{display:block;width:100%;flex:1 1 0;min-height:300px;border:0;border-top:1px solid var(--line)}
#detail-frame[hidden]{display:none}
.findings{margin:0 0 6px;padding-left:20px;color:#8a2a00}
.same{color:#2a6a2a;margin:0 0 6px}
td.zero{color:#b3261e;font-weight:600}
#tip{position:fixed;z-index:10;max-width:480px;padding:4px 8px;background:#1d2330;color:#fff;border-radius:4px;
font-size:12px;pointer-events:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#tip[hidden]{display:none}
"""
    + "\n"
)

DETAIL_CSS: Final = (
    """
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#dfe3ea}
*{box-sizing:border-box}
body{margin:0;padding:6px 2px 16px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--fg);background:#fff}
.hint{color:var(--muted)}
body:has(section.event:target) .hint{display:none}
section.event{display:none}
section.event:target{display:block}
h2{display:flex;gap:8px;align-items:center;flex-wrap:wrap;font-size:15px;margin:0 0 6px}
h2 .ctx{color:var(--muted);font-weight:400}
h3{font-size:13.5px;margin:14px 0 4px;color:var(--muted);font-weight:600}
h3 small{font-weight:400}
a{color:#2f6fde}
.kind{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-size:12px;white-space:nowrap}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:1px 12px;margin:6px 0;font-size:12.5px}
dl.fields dt{color:var(--muted)}
dl.fields dd{margin:0;word-break:break-all}
pre.code{margin:0;padding:8px 10px;background:#f7f8fa;border:1px solid var(--line);border-radius:6px;overflow:auto;
font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;white-space:pre;tab-size:4}
.trunc,.note{color:#8a5a00;font-size:12.5px}
ol.stack{margin:0;padding-left:22px;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.hc{color:#6a737d;font-style:italic}.hs{color:#0a7d32}.hd{color:#8250df}.hn{color:#b35900}
.hk{color:#cf222e;font-weight:600}.hm{color:#0550ae;font-weight:600}.hb{color:#6f42c1}.hf{color:#0550ae}.hy{color:#953800}
"""
    + "\n"
)

JS: Final = r"""
(function () {
  "use strict";
  // Trace text reaches this page only as text the server escaped, or as strings of the
  // JSON data blocks, which the script puts in the page with textContent: it never
  // parses a string as markup. Details show in a frame, from pages that run no script.
  // Filters name kinds (k:), contexts (c:), compiles (p:) and ranks (r:) by number.
  var byId = function (id) { return document.getElementById(id); };
  var meta = JSON.parse(byId("ev-meta").textContent), data = JSON.parse(byId("ev-rows").textContent);
  var KINDS = meta.kinds, RANKS = meta.ranks, COMPILES = meta.compiles, CTX = meta.contexts;
  var METRICS = ["compilation_metrics", "bwd_compilation_metrics", "aot_autograd_backward_compilation_metrics"];
  var ROW = 22, MORE = 30;
  var kind = byId("f-kind"), ctx = byId("f-ctx"), rank = byId("f-rank"), text = byId("f-text");
  var shown = byId("shown"), head = byId("detail-head"), frame = byId("detail-frame"), tip = byId("tip");
  var wrap = byId("table-wrap"), body = byId("rows");
  var marks = Array.prototype.slice.call(document.querySelectorAll("#timeline .mark"));
  var visible = new Uint8Array(data.length).fill(1), hay = new Array(data.length);
  var list = [], current = -1, framed = false, timer = 0, drawn = "";
  var manyRanks = RANKS.length > 1;

  function size(n) {
    if (n < 1024) return n + " B";
    var v = n / 1024, units = ["KiB", "MiB", "GiB"];
    for (var u = 0; u < 2 && v >= 1024; u++) v /= 1024;
    return v.toFixed(1) + " " + units[u];
  }
  function el(tag, cls, txt) {
    var x = document.createElement(tag);
    if (cls) x.className = cls;
    if (txt !== undefined) x.textContent = txt;
    return x;
  }
  function kindName(r) { return KINDS[r[4]] || "(none)"; }
  function haystack(i) {
    if (hay[i] === undefined) {
      var r = data[i];
      hay[i] = [i, r[0], RANKS[r[2]], CTX[r[3]][0], kindName(r), r[5]].join(" ").toLowerCase();
    }
    return hay[i];
  }
  function fitKinds() {
    // The kind column as wide as the widest kind's label (within bounds): none is cut short.
    var box = el("div"), widest = 0;
    box.style.position = "absolute";
    box.style.visibility = "hidden";
    KINDS.forEach(function (k, n) { box.appendChild(el("div")).appendChild(el("span", "kind k" + n, k || "(none)")); });
    document.body.appendChild(box);
    box.querySelectorAll(".kind").forEach(function (s) { widest = Math.max(widest, s.getBoundingClientRect().width); });
    box.remove();
    var width = Math.ceil(Math.min(Math.max(widest + 18, 80), 420));
    document.querySelector("#event-table col.c-k").style.width = width + "px";
  }
  function parse(select) {
    var v = select.value;
    return v ? [v.charAt(0), Number(v.slice(2))] : null;
  }
  function apply() {
    var k = parse(kind), c = parse(ctx), r = parse(rank), q = text.value.trim().toLowerCase();
    list = [];
    for (var i = 0; i < data.length; i++) {
      var d = data[i], ok = (!k || d[4] === k[1]) && (!r || d[2] === r[1]) &&
        (!c || (c[0] === "p" ? CTX[d[3]][1] === c[1] : d[3] === c[1])) && (!q || haystack(i).indexOf(q) >= 0);
      if (ok) list.push(i);
      if (visible[i] !== (ok ? 1 : 0)) {
        visible[i] = ok ? 1 : 0;
        if (marks[i]) marks[i].classList.toggle("off", !ok);
      }
    }
    shown.textContent = String(list.length);
    drawn = "";
    wrap.scrollTop = 0;
    render();
    render();  // again: the table's height (and so the rows in view) follows the rows drawn
  }
  function makeRow(i) {
    var r = data[i], tr = el("tr");
    tr.id = "r" + i;
    tr.dataset.i = String(i);
    if (i === current) tr.className = "sel";
    var a = el("a", "", String(i));
    a.href = "#e" + i;
    tr.appendChild(el("td", "n")).appendChild(a);
    tr.appendChild(el("td", "t", r[0]));
    tr.appendChild(el("td", "n", r[1]));
    tr.appendChild(el("td", "", RANKS[r[2]]));
    tr.appendChild(el("td", "", CTX[r[3]][0]));
    tr.appendChild(el("td")).appendChild(el("span", "kind k" + r[4], kindName(r))).title = kindName(r);
    var what = tr.appendChild(el("td", "what", r[5]));
    what.title = r[5];
    tr.appendChild(el("td", "n", r[6] < 0 ? "" : size(r[6])));
    return tr;
  }
  function pad(rows) {
    var tr = el("tr", "pad"), td = el("td");
    td.colSpan = 8;
    td.style.height = rows * ROW + "px";
    tr.appendChild(td);
    return tr;
  }
  function render() {
    var first = Math.max(0, Math.floor(wrap.scrollTop / ROW) - MORE);
    var last = Math.min(list.length, Math.floor(wrap.scrollTop / ROW) + Math.ceil(wrap.clientHeight / ROW) + MORE);
    var key = first + ":" + last + ":" + current;
    if (key === drawn) return;
    drawn = key;
    var rows = first ? [pad(first)] : [];
    for (var k = first; k < last; k++) rows.push(makeRow(list[k]));
    if (last < list.length) rows.push(pad(list.length - last));
    body.replaceChildren.apply(body, rows);
  }
  function reveal(i) {
    var at = list.indexOf(i);
    if (at < 0) return;
    var top = at * ROW;
    if (top < wrap.scrollTop || top + ROW > wrap.scrollTop + wrap.clientHeight) {
      wrap.scrollTop = Math.max(0, top - wrap.clientHeight / 3);
    }
    render();
  }
  function hasOption(select, value) {
    for (var i = 0; i < select.options.length; i++) if (select.options[i].value === value) return true;
    return false;
  }
  function setFilters(k, c, r) {
    kind.value = hasOption(kind, k) ? k : "";
    ctx.value = hasOption(ctx, c) ? c : "";
    rank.value = hasOption(rank, r) ? r : "";
    text.value = "";
    apply();
    byId("events").scrollIntoView();
  }
  function filterLink(label, k, c, r) {
    var a = el("a", "", label);
    a.href = "#events";
    a.addEventListener("click", function (ev) { ev.preventDefault(); setFilters(k, c, r); });
    return a;
  }
  function related(i, box) {
    var d = data[i], where = manyRanks ? " on rank " + RANKS[d[2]] : "", context = CTX[d[3]], same = 0;
    for (var j = 0; j < data.length; j++) if (data[j][3] === d[3] && data[j][2] === d[2]) same += 1;
    var r = "r:" + d[2];
    box.appendChild(filterLink("All " + same + " events of context " + context[0] + where, "", "c:" + d[3], r));
    if (context[1] < 0) return;
    var name = COMPILES[context[1]];
    for (j = 0; j < data.length; j++) {
      var o = data[j];
      if (j === i || o[2] !== d[2] || CTX[o[3]][1] !== context[1] || METRICS.indexOf(KINDS[o[4]]) < 0) continue;
      var line = el("div"), a = el("a", "", KINDS[o[4]] + " #" + j + " (" + CTX[o[3]][0] + ")");
      a.href = "#e" + j;
      line.appendChild(document.createTextNode("Compile " + name + ": "));
      line.appendChild(a);
      box.appendChild(line);
    }
    if (context[0] !== name) {
      var all = "All events of compile " + name + ", every attempt" + where;
      box.appendChild(filterLink(all, "", "p:" + context[1], r));
    }
    if (context[2] >= 0) {
      box.appendChild(filterLink("A recompile: the events of the previous compile " + COMPILES[context[2]] + where,
        "", "p:" + context[2], r));
    }
  }
  function open(i, scroll) {
    if (!(i >= 0 && i < data.length)) return;
    var box = el("div", "related");
    box.appendChild(el("strong", "", "Related to #" + i));
    head.replaceChildren(box);
    related(i, box);
    var url = "events/p" + data[i][7] + ".html#e" + i;
    frame.hidden = false;
    if (framed) frame.contentWindow.location.replace(url);
    else { frame.src = url; framed = true; }
    if (current >= 0 && marks[current]) marks[current].classList.remove("cur");
    current = i;
    if (marks[i]) marks[i].classList.add("cur");
    drawn = "";
    if (scroll) reveal(i); else render();
  }
  function fromHash() {
    var m = /^#e(\d+)$/.exec(location.hash);
    if (m) open(Number(m[1]), true);
  }
  body.addEventListener("click", function (ev) {
    var row = ev.target.closest("tr");
    if (!row || !row.dataset.i) return;
    ev.preventDefault();
    if (location.hash !== "#e" + row.dataset.i) history.replaceState(null, "", "#e" + row.dataset.i);
    open(Number(row.dataset.i), false);
  });
  wrap.addEventListener("scroll", render);
  window.addEventListener("resize", render);
  var chart = byId("timeline");
  chart.addEventListener("click", function (ev) {
    var m = ev.target.closest(".mark"), lane = ev.target.closest(".lane-label");
    if (m) { location.hash = "e" + m.dataset.i; byId("events").scrollIntoView(); }
    else if (lane) setFilters("", "c:" + lane.dataset.ctx, "r:" + lane.dataset.rank);
  });
  chart.addEventListener("mousemove", function (ev) {
    var m = ev.target.closest(".mark"), i = m ? Number(m.dataset.i) : -1, r = data[i];
    if (!r) { tip.hidden = true; return; }
    tip.textContent = "#" + i + " " + kindName(r) + " " + CTX[r[3]][0] + (manyRanks ? " rank " + RANKS[r[2]] : "") +
      " +" + r[1] + " s  " + r[5];
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 300) + "px";
    tip.style.top = (ev.clientY + 14) + "px";
    tip.hidden = false;
  });
  chart.addEventListener("mouseleave", function () { tip.hidden = true; });
  document.querySelectorAll("[data-filter-kind],[data-filter-ctx],[data-filter-rank]").forEach(function (b) {
    b.addEventListener("click", function () {
      setFilters(b.dataset.filterKind || "", b.dataset.filterCtx || "", b.dataset.filterRank || "");
    });
  });
  [kind, ctx, rank].forEach(function (s) { s.addEventListener("change", apply); });
  text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  byId("f-clear").addEventListener("click", function () { setFilters("", "", ""); });
  window.addEventListener("hashchange", fromHash);
  fitKinds();
  apply();
  fromHash();
})();
"""


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def csp(script: str | None, style: str, *, frames: bool) -> str:
    """
    A page's Content-Security-Policy: nothing may load or run but the page's own
    stylesheet and script (none for a detail page), named by their hashes, so that
    markup injected into the page could not run even if escaping failed. The main page
    may frame the report's own detail pages; ``img-src data:`` is for the empty favicon.

    >>> csp(None, "", frames=False).split("; ")[:3]
    ["default-src 'none'", "script-src 'none'", "style-src 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"]
    """
    scripts = _digest(script) if script is not None else "'none'"
    # What 'self' means for a file:// page differs between browsers; file: names the
    # detail pages' scheme outright (only frames: no script can load from there).
    frame = "frame-src 'self' file:; " if frames else ""
    return (
        f"default-src 'none'; script-src {scripts}; style-src {_digest(style)}; img-src data:; {frame}"
        "base-uri 'none'; form-action 'none'"
    )
