/**
 * @module The site's only static files: one stylesheet and one small script (client-side column
 * sorting; every sort also works without it through `?sort=&dir=` links). Served from /assets/ so the
 * content security policy needs no inline code.
 */

export const SITE_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #e3e6ec; --bg: #ffffff; --soft: #f6f7f9; --accent: #2456b3;
  --good: #1f7a3d; --bad: #b3261e; --warn: #8a5a00; --warn-bg: #fff4d6; font-size: 15px; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 1rem/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: baseline; gap: 1.5rem; padding: .7rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top .brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); }
header.top nav a { margin-right: 1rem; color: var(--muted); }
header.top nav a.active { color: var(--fg); font-weight: 600; }
main { max-width: 1180px; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
footer { max-width: 1180px; margin: 0 auto; padding: 1rem 1.5rem 2rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
h1 { font-size: 1.5rem; margin: .6rem 0 .3rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .5rem; }
p.lead, .muted { color: var(--muted); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }
pre { background: var(--soft); padding: .7rem; overflow: auto; border: 1px solid var(--line); border-radius: 4px; }
.meta { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; color: var(--muted); margin: .3rem 0 1rem; }
.meta b { color: var(--fg); font-weight: 600; }
.links { font-size: .9rem; margin: .4rem 0; }
.links a { margin-right: .9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .92rem; }
th, td { padding: .38rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; white-space: nowrap; border-bottom: 2px solid var(--line); }
thead th a { color: var(--fg); }
thead th[aria-sort] a { color: var(--accent); }
thead th[aria-sort="ascending"] a::after { content: " ▲"; font-size: .7em; }
thead th[aria-sort="descending"] a::after { content: " ▼"; font-size: .7em; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:hover { background: #f0f4fb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.key { font-weight: 600; }
th.key { box-shadow: inset 0 -2px 0 var(--accent); }
.sd { color: var(--muted); font-size: .85em; }
.sub { color: var(--muted); font-size: .82em; }
.pos { color: var(--good); }
.neg { color: var(--bad); }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .78rem; border: 1px solid var(--line); white-space: nowrap; }
.badge.measured { color: var(--good); border-color: #b9dec5; background: #eef8f1; }
.badge.self-reported { color: var(--warn); border-color: #f0d58a; background: var(--warn-bg); }
.badge.failed { color: var(--bad); border-color: #f0b8b4; background: #fdeeed; }
.badge.completed { color: var(--good); border-color: #b9dec5; background: #eef8f1; }
.badge.tier { color: var(--muted); }
.chip { display: inline-block; white-space: nowrap; margin: 0 .25rem .2rem 0; padding: 0 .4rem; border-radius: 3px; font-size: .78rem; background: var(--warn-bg); color: var(--warn); }
.chip.failed { background: #fdeeed; color: var(--bad); }
.error-box { border: 1px solid #f0b8b4; background: #fdeeed; color: var(--bad); padding: .7rem 1rem; border-radius: 4px; white-space: pre-wrap; }
.note { border-left: 3px solid var(--line); padding: .2rem .8rem; color: var(--muted); }
.tiers a { margin-right: .5rem; }
.tiers a.active { font-weight: 700; color: var(--fg); }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: .5rem 0 1rem; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0 0 1rem; }
figcaption { color: var(--muted); font-size: .85rem; }
svg.chart { background: #fff; border: 1px solid var(--line); border-radius: 4px; max-width: 100%; height: auto; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--fg); }
svg.chart .axis { stroke: #8a93a3; stroke-width: 1; }
svg.chart .grid { stroke: #eceef2; stroke-width: 1; }
svg.chart .tick { fill: var(--muted); }
svg.chart .label { fill: var(--muted); font-size: 12px; }
svg.chart .pt { fill: var(--accent); stroke: #fff; stroke-width: 1.5; }
svg.chart .pt.base { fill: #8a93a3; }
svg.chart polyline.line { fill: none; stroke-width: 2; }
svg.chart .s0 { stroke: var(--accent); fill: var(--accent); }
svg.chart .s1 { stroke: #d9822b; fill: #d9822b; }
svg.chart .s2 { stroke: #2e9e6a; fill: #2e9e6a; }
svg.chart .s3 { stroke: #8e44ad; fill: #8e44ad; }
svg.chart .bar { fill: #9db4e0; }
svg.chart .bar.hl { fill: var(--accent); }
td.h0 { background: #fbeaea; } td.h1 { background: #fcefe6; } td.h2 { background: #fdf4e3; } td.h3 { background: #fbf8e1; }
td.h4 { background: #f4f8e2; } td.h5 { background: #ebf5e3; } td.h6 { background: #e2f1e4; } td.h7 { background: #d9ede5; }
form.compare { display: flex; gap: .6rem; align-items: end; flex-wrap: wrap; margin: .6rem 0 1rem; }
form.compare label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
form.compare input { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 4px; min-width: 16rem; }
form.compare button { font: inherit; padding: .35rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
td.nowrap, td.nowrap a { white-space: nowrap; }
td.method { min-width: 13rem; }
table.kv th { font-weight: normal; width: 16rem; }
#compare thead th { white-space: normal; width: 30%; }
#compare thead th:first-child, #compare thead th:last-child { width: auto; }
#compare td:first-child { white-space: nowrap; }
tr.group td { background: var(--soft); font-weight: 600; }
`;

/** Sorts `table.sortable` in place when a header link with `data-col` is clicked. */
export const SORT_JS = `
'use strict';
document.addEventListener('click', function (ev) {
  var link = ev.target instanceof Element ? ev.target.closest('th a[data-col]') : null;
  if (!link) return;
  var table = link.closest('table.sortable');
  if (!table || !table.tBodies[0]) return;
  ev.preventDefault();
  var th = link.closest('th');
  var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
  var cur = th.getAttribute('aria-sort');
  var dir = cur === 'descending' ? 'asc' : cur === 'ascending' ? 'desc' : link.getAttribute('data-dir');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  function val(r) {
    var c = r.cells[idx];
    var v = c ? c.getAttribute('data-v') : null;
    if (v === null || v === '') return null;
    var x = Number(v);
    return isNaN(x) ? v.toLowerCase() : x;
  }
  rows.sort(function (a, b) {
    var x = val(a), y = val(b);
    if (x === null && y !== null) return 1;
    if (y === null && x !== null) return -1;
    if (x === y) return (Number(a.getAttribute('data-rank')) || 1e9) - (Number(b.getAttribute('data-rank')) || 1e9);
    return (x < y ? -1 : 1) * (dir === 'asc' ? 1 : -1);
  });
  rows.forEach(function (r) { body.appendChild(r); });
  Array.prototype.forEach.call(th.parentNode.children, function (h) { h.removeAttribute('aria-sort'); });
  th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
  var url = new URL(link.href, location.href);
  url.searchParams.set('sort', link.getAttribute('data-col'));
  url.searchParams.set('dir', dir);
  history.replaceState(null, '', url);
});
`;
