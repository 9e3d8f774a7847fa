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
.chart-row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 1fr); gap: 24px; align-items: start; }
@media (max-width: 1100px) { .chart-row { grid-template-columns: 1fr; } }
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; }
.swatch { vertical-align: middle; }
figure.chart-box { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.chart { width: 100%; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.chart-main { height: 480px; }
.chart-small { height: 340px; }
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
`;
