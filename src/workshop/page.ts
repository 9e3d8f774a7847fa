// The workshop page: one self-contained document (ECharts inlined from the installed package, no
// network), whose dynamic parts all arrive over the event stream. The session token travels in a
// JSON block whose "<" are escaped; the page never puts run data into HTML.
import { echartsScript, jsonForScript } from '../report/html.js';
import { VARIANT_COLORS } from '../report/html-charts.js';
import { WORKSHOP_CLIENT } from './page-client.js';
import { WORKSHOP_CSS } from './page-style.js';

export function renderWorkshopPage(token: string): string {
  const config = { token, colors: VARIANT_COLORS };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>rsslab workshop</title><style>${WORKSHOP_CSS}</style></head>
<body>
<header><h1 id="title">rsslab workshop</h1><span class="seed" id="seed"></span><span class="conn" id="conn">connecting…</span></header>
<p class="summary" id="summary">Waiting for the run to start…</p>
<ul class="variants" id="variants" aria-label="variants"></ul>
<div class="bar">
  <div class="phase-box" id="phase-box" role="status" aria-live="polite">
    <div><div class="state" id="phase-state">starting</div><div class="phase" id="phase"></div><div class="phase-label" id="phase-label"></div></div>
    <div class="figures"><div class="rss" id="rss"></div><div class="time" id="time"></div></div>
  </div>
  <button id="next" type="button" disabled hidden>Next ▶</button>
</div>
<p class="hint" id="hint" hidden></p>
<div class="finished" id="finished" hidden></div>
<div class="layout">
  <section>
    <div id="charts-main"></div>
    <p class="empty" id="charts-empty">The charts appear with the first samples.</p>
    <h2 id="pages-title" hidden>Page maps</h2>
    <div class="pages" id="charts-pages"></div>
  </section>
  <aside class="story" id="story"><h2>The story</h2><ol id="story-list"></ol></aside>
</div>
<ul class="notices" id="notices"></ul>
<script type="application/json" id="workshop-config">${jsonForScript(config)}</script>
<script>${echartsScript()}</script>
<script>${WORKSHOP_CLIENT}</script>
</body></html>
`;
}
