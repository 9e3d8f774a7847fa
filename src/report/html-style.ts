// The report page's stylesheet: large type and strong contrast for a projector, the chart and its
// story side by side on a wide screen, stacked on a narrow one.
export const REPORT_CSS = `
:root { --fg: #1a1a1a; --muted: #5c5c5c; --line: #d0d0d0; --bg: #ffffff; --band: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 16px 28px 48px; max-width: 1600px; font: 17px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 30px; margin: 8px 0 0; }
h2 { font-size: 26px; margin: 32px 0 4px; border-top: 3px solid var(--fg); padding-top: 16px; }
h3 { font-size: 20px; margin: 24px 0 8px; }
.muted { color: var(--muted); font-weight: normal; font-size: 0.85em; }
.machine-line { margin: 0 0 12px; color: var(--muted); }
nav a { margin-right: 8px; }
.chart-row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(min(280px, 100%), 1fr); gap: 24px; align-items: start; }
@media (max-width: 1100px) { .chart-row { grid-template-columns: 1fr; } }
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(440px, 100%), 1fr)); gap: 16px; }
.swatch { vertical-align: middle; }
figure.chart-box { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.chart { width: 100%; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.chart-main { height: 480px; }
.chart-small { height: 380px; }
.toggles { margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 15px; }
.toggles label { white-space: nowrap; cursor: pointer; }
.story { background: var(--band); border-left: 4px solid #0072B2; padding: 12px 16px; font-size: 16px; }
.story .summary { font-weight: 600; margin-top: 0; }
.story ol { padding-left: 20px; margin: 0; }
.story li { margin-bottom: 10px; }
.story li p { margin: 2px 0 0; }
.phase { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; color: var(--muted); }
table { border-collapse: collapse; margin: 4px 0 8px; font-size: 15px; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
thead th { background: var(--band); }
table.headline td:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { background: var(--band); white-space: nowrap; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
pre { background: var(--band); padding: 8px; overflow-x: auto; max-height: 16em; }
.status-held { color: #007a3d; font-weight: 600; white-space: nowrap; }
.status-failed { color: #c0392b; font-weight: 600; white-space: nowrap; }
.status-skipped { color: #8a6d00; white-space: nowrap; }
details { margin: 12px 0; }
/* a wide table scrolls in its own box; the page never gets wider than the screen */
.table-scroll { max-width: 100%; overflow-x: auto; -webkit-overflow-scrolling: touch; }
.table-scroll table { margin: 0; }
.table-scroll + h3, .table-scroll { margin-bottom: 8px; }
figure.chart-box, .chart-row > div { min-width: 0; }
.phase-strip { position: relative; height: 3.9em; margin-top: 2px; font-size: 13px; line-height: 1.2; }
.phase-label { position: absolute; top: 0; bottom: 0; overflow: hidden; text-align: center; border-left: 1px solid var(--line); padding: 0 2px; }
.phase-label:first-child { border-left: 0; }
.phase-name { display: block; font-weight: 600; overflow: hidden; max-height: 2.4em; overflow-wrap: anywhere; }
.phase-dur { display: block; color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chart.has-phases { border-bottom-left-radius: 0; border-bottom-right-radius: 0; }
.absent { margin: 8px 0 12px; padding: 8px 14px; border-left: 4px solid #E69F00; background: #fff8e6; font-size: 15px; }
.absent ul { margin: 4px 0 0; padding-left: 20px; }
@media (max-width: 700px) {
  body { padding: 8px 10px 32px; font-size: 16px; }
  h1 { font-size: 24px; }
  h2 { font-size: 21px; }
  .chart-main { height: 380px; }
  .chart-small { height: 300px; }
  /* narrow bands: names turn vertical (read bottom to top) instead of being cut */
  .phase-strip { height: 8.5em; }
  .phase-label { writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; border-left: 0; border-right: 1px solid var(--line); }
  .phase-name, .phase-dur { display: inline; max-height: none; white-space: nowrap; }
  .phase-dur::before { content: ' · '; }
}
`;
