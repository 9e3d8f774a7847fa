// The workshop page's script (plain browser JavaScript, kept as a string so the page is one offline
// document): listens to the event stream, keeps the phase indicator, the variants and the story in
// step with the run, and draws the report's chart specs (src/report/html-charts.ts) with the inlined
// ECharts, updating them in place as they grow. The formatters mirror the report's own client
// (src/report/html-client.ts) so both pages read alike. Text reaches the DOM only via textContent.
import { CHART_OPTIONS } from '../report/chart-options-client.js';

export const WORKSHOP_CLIENT = String.raw`
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('workshop-config').textContent);
  var boxes = {};
  var state = null;
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function bytes(b) { return (b / 1048576).toFixed(1) + ' MiB'; }
  function secs(ms) { return (ms / 1000).toFixed(1) + ' s'; }
${CHART_OPTIONS}
  // ---- charts: the report's specs, drawn and then updated in place ----
  function checkedKinds(box) {
    var on = {};
    var inputs = box.toggles ? box.toggles.querySelectorAll('input') : [];
    for (var i = 0; i < inputs.length; i++) on[inputs[i].getAttribute('data-kind')] = inputs[i].checked;
    return on;
  }
  function linesSeries(box) {
    var on = checkedKinds(box);
    return box.spec.series.filter(function (s) { return on[s.kind] !== false && (on[s.kind] || s.kind === 'rss'); }).map(function (s) { return s.option; });
  }
  function swatch(dash) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', '36'); svg.setAttribute('height', '10');
    var line = document.createElementNS(ns, 'line');
    line.setAttribute('x1', '0'); line.setAttribute('y1', '5'); line.setAttribute('x2', '36'); line.setAttribute('y2', '5');
    line.setAttribute('stroke', '#333'); line.setAttribute('stroke-width', dash ? '2' : '4');
    if (dash) line.setAttribute('stroke-dasharray', dash.join(' '));
    svg.appendChild(line);
    return svg;
  }
  function buildToggles(box) {
    var spec = box.spec;
    var key = spec.kinds.map(function (k) { return k.kind; }).join('|');
    if (box.kindsKey === key) return;
    var before = checkedKinds(box);
    box.kindsKey = key;
    box.toggles.textContent = '';
    if (spec.kinds.length <= 1) return;
    box.toggles.appendChild(el('span', 'muted', 'show:'));
    spec.kinds.forEach(function (k) {
      var label = el('label');
      var input = el('input');
      input.type = 'checkbox';
      input.setAttribute('data-kind', k.kind);
      input.checked = k.kind in before ? before[k.kind] : k.on;
      input.addEventListener('change', function () { box.chart.setOption({ series: linesSeries(box) }, { replaceMerge: ['series'] }); });
      label.appendChild(input);
      label.appendChild(document.createTextNode(' '));
      label.appendChild(swatch(k.dash));
      label.appendChild(document.createTextNode(' ' + k.label));
      box.toggles.appendChild(label);
    });
  }
  function ensureBox(spec) {
    var box = boxes[spec.id];
    if (box) return box;
    var fig = el('figure');
    var cap = el('figcaption', null, spec.title);
    var div = el('div', 'chart chart-' + spec.kind);
    div.id = spec.id;
    div.setAttribute('data-chart-kind', spec.kind);
    fig.appendChild(cap);
    fig.appendChild(div);
    var toggles = null;
    if (spec.kind === 'lines') { toggles = el('div', 'toggles'); fig.appendChild(toggles); }
    box = { spec: spec, fig: fig, cap: cap, div: div, toggles: toggles, chart: null, kindsKey: null };
    boxes[spec.id] = box;
    return box;
  }
  function draw(box) {
    var spec = box.spec;
    box.cap.textContent = spec.title;
    try {
      if (!box.chart) box.chart = echarts.init(box.div, null, { renderer: 'canvas' });
      if (spec.kind === 'lines') {
        buildToggles(box);
        var option = memoryAxes(JSON.parse(JSON.stringify(spec.option)));
        option.series = linesSeries(box);
        box.chart.setOption(option, { replaceMerge: ['series', 'yAxis'] });
      } else if (spec.kind === 'layers') {
        box.chart.setOption(memoryAxes(spec.option), { replaceMerge: ['series'] });
      } else if (spec.kind === 'pagemap') {
        box.chart.setOption(pageMapOption(spec), true);
      }
    } catch (e) {
      box.div.textContent = 'This chart could not be drawn: ' + (e && e.message ? e.message : String(e));
      console.error(e);
    }
  }
  function applyCharts(msg) {
    var main = $('charts-main');
    var pages = $('charts-pages');
    msg.charts.forEach(function (spec) { ensureBox(spec).spec = spec; });
    // in the document before drawing: ECharts sizes a chart by its container when it is created
    var keep = {};
    var want = { main: [], pages: [] };
    msg.order.forEach(function (id) {
      if (!boxes[id]) return;
      keep[id] = true;
      want[boxes[id].spec.kind === 'pagemap' ? 'pages' : 'main'].push(boxes[id].fig);
    });
    [[main, want.main], [pages, want.pages]].forEach(function (pair) {
      var parent = pair[0], figs = pair[1];
      var same = parent.children.length === figs.length && figs.every(function (f, i) { return parent.children[i] === f; });
      if (!same) figs.forEach(function (f) { parent.appendChild(f); });
    });
    msg.charts.forEach(function (spec) { draw(boxes[spec.id]); });
    Object.keys(boxes).forEach(function (id) {
      if (keep[id]) return;
      if (boxes[id].chart) boxes[id].chart.dispose();
      boxes[id].fig.remove();
      delete boxes[id];
    });
    $('pages-title').hidden = pages.children.length === 0;
    $('charts-empty').hidden = msg.order.length > 0;
  }

  // ---- the phase indicator, the variants, the story ----
  function renderStory(s) {
    var ol = $('story-list');
    var x = s.experiment;
    var phases = x ? x.story.map(function (p) { return p.phase; }) : [];
    var now = s.current ? phases.indexOf(s.current.phase) : -1;
    var ended = s.current && s.current.phase === 'end';
    var key = x ? x.id + '#' + s.experimentIndex : '';
    if (ol.getAttribute('data-key') !== key) {
      ol.setAttribute('data-key', key);
      ol.textContent = '';
      (x ? x.story : []).forEach(function (p) {
        var li = el('li');
        li.setAttribute('data-phase', p.phase);
        var head = el('div');
        head.appendChild(el('span', 't', p.title));
        head.appendChild(el('span', 'k', p.phase));
        li.appendChild(head);
        li.appendChild(el('p', null, p.text));
        ol.appendChild(li);
      });
    }
    var items = ol.children;
    for (var i = 0; i < items.length; i++) {
      items[i].className = i === now ? 'now' : (ended || (now >= 0 && i < now)) ? 'past' : '';
    }
    $('story').className = 'story' + (s.paused ? ' waiting' : '');
    // scroll the story box only (scrollIntoView would scroll the whole page away from the chart)
    var aside = $('story');
    if (now >= 0 && items[now] && ol.getAttribute('data-now') !== String(now)) {
      ol.setAttribute('data-now', String(now));
      var item = items[now];
      var top = item.offsetTop; // the sticky aside is the item's offsetParent
      if (top < aside.scrollTop || top + item.offsetHeight > aside.scrollTop + aside.clientHeight) aside.scrollTop = Math.max(0, top - 40);
    }
  }
  function renderVariants(s) {
    var ul = $('variants');
    ul.textContent = '';
    var colour = 0;
    s.variants.forEach(function (v) {
      var li = el('li', v.status);
      li.setAttribute('data-variant', v.id);
      var dot = el('span', 'dot');
      if (v.status !== 'skipped') { dot.style.background = v.status === 'waiting' ? '#ddd' : cfg.colors[colour % cfg.colors.length]; colour++; }
      var mark = { waiting: '○', running: '▶', ok: '✓', failed: '✗', skipped: '–' }[v.status] || '';
      li.appendChild(dot);
      li.appendChild(el('span', null, mark + ' ' + v.label));
      li.title = v.reason ? v.status + ': ' + v.reason : v.description;
      ul.appendChild(li);
    });
  }
  function applyState(s) {
    state = s;
    var x = s.experiment;
    $('title').textContent = x ? x.title : 'rsslab workshop';
    $('seed').textContent = x ? (x.id + (x.seed ? ' · ' + x.seed : '') + (s.experiments.length > 1 ? ' · experiment ' + (s.experimentIndex + 1) + ' of ' + s.experiments.length : '')) : '';
    $('summary').textContent = x ? x.summary : 'Waiting for the run to start…';
    renderVariants(s);
    renderStory(s);
    var box = $('phase-box');
    var c = s.current;
    var failed = !!s.error;
    box.className = 'phase-box' + (failed ? ' failed' : s.finished ? ' finished' : s.paused ? ' waiting' : '');
    var phase = s.paused ? s.paused.phase : c ? c.phase : '';
    var phases = x ? x.story.map(function (p) { return p.phase; }) : [];
    var at = phases.indexOf(phase);
    var step = at >= 0 && !s.finished ? ' · phase ' + (at + 1) + ' of ' + phases.length : '';
    $('phase-state').textContent = (failed ? 'stopped' : s.finished ? 'finished' : s.paused ? 'paused before' : c ? 'running' : 'starting') + step;
    var label = s.paused ? s.paused.label : c ? c.phaseLabel : '';
    $('phase').textContent = s.finished ? 'all variants done' : (c ? c.label + ' · ' : '') + (phase || 'starting');
    $('phase-label').textContent = s.finished ? '' : label && label !== phase ? label : '';
    $('rss').textContent = c ? 'RSS ' + bytes(c.rssBytes) : '';
    $('time').textContent = c ? secs(c.tMs) + ' since the child started' : '';
    var next = $('next');
    next.hidden = !s.step;
    next.disabled = !s.paused;
    $('hint').hidden = !s.step;
    $('hint').textContent = s.paused ? 'Waiting for you: click Next, press → / PageDown / Space here, or Enter in the terminal.' : 'Step-through: the run stops at every phase boundary.';
    var fin = $('finished');
    fin.hidden = !s.finished && !s.error;
    fin.className = 'finished' + (s.error ? ' error' : '');
    fin.textContent = '';
    if (s.error) fin.appendChild(el('div', null, 'The run stopped: ' + s.error));
    if (s.finished) {
      fin.appendChild(el('strong', null, 'Saved for sharing: '));
      fin.appendChild(el('span', null, 'Run JSON and the static report are in '));
      fin.appendChild(el('code', null, s.finished.dir));
      var ul = el('ul');
      s.finished.files.forEach(function (f) { ul.appendChild(el('li', null, f)); });
      fin.appendChild(ul);
    }
    var notes = $('notices');
    notes.textContent = '';
    s.notices.slice(-6).forEach(function (n) { notes.appendChild(el('li', null, n)); });
  }

  // ---- the presenter's "Next" ----
  function next() {
    if (!state || !state.paused) return;
    $('next').disabled = true;
    fetch('/next', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: cfg.token }) })
      .then(function (r) { if (!r.ok && r.status !== 409) console.warn('next: HTTP ' + r.status); })
      .catch(function (e) { console.warn('next: ' + e); });
  }
  $('next').addEventListener('click', next);
  document.addEventListener('keydown', function (e) {
    if (e.target && (e.target.tagName === 'INPUT' || e.target.tagName === 'BUTTON') && e.key === ' ') return;
    if (e.key === 'ArrowRight' || e.key === 'PageDown' || e.key === ' ' || e.key === 'n') { e.preventDefault(); next(); }
  });

  // ---- the stream ----
  var conn = $('conn');
  // the session cookie (same origin) opens the stream: the token stays out of every URL
  var es = new EventSource('/events');
  es.addEventListener('open', function () { conn.textContent = 'live'; conn.className = 'conn live'; });
  es.addEventListener('error', function () { conn.textContent = state && state.finished ? 'session closed' : 'reconnecting…'; conn.className = 'conn lost'; });
  es.addEventListener('state', function (e) { applyState(JSON.parse(e.data)); });
  es.addEventListener('charts', function (e) { applyCharts(JSON.parse(e.data)); });
  window.addEventListener('resize', function () { Object.keys(boxes).forEach(function (id) { if (boxes[id].chart) boxes[id].chart.resize(); }); });
})();
`;
