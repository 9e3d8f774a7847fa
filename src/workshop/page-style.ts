// The workshop page's stylesheet: made for a projector at the back of a room — large type, strong
// contrast, one unmistakable phase indicator (green while the run flows, amber while it waits for
// "Next"), the story beside the charts with the current step highlighted.
export const WORKSHOP_CSS = `
:root { --fg: #111; --muted: #555; --line: #cfcfcf; --band: #f3f5f7; --run: #007a3d; --wait: #b35c00; --done: #0072B2; --fail: #c0392b; }
* { box-sizing: border-box; }
html, body { margin: 0; background: #fff; color: var(--fg); }
body { font: 20px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; padding: 14px 24px 28px; }
header { display: flex; align-items: baseline; gap: 18px; flex-wrap: wrap; }
header h1 { font-size: 34px; margin: 0; }
header .seed { color: var(--muted); font-size: 20px; }
header .conn { margin-left: auto; font-size: 16px; color: var(--muted); }
header .conn.live::before { content: "● "; color: var(--run); }
header .conn.lost::before { content: "● "; color: var(--fail); }
.summary { margin: 4px 0 10px; font-size: 21px; max-width: 1500px; }
.bar { display: flex; align-items: stretch; gap: 16px; flex-wrap: wrap; margin: 6px 0 12px; }
.phase-box { flex: 1 1 560px; display: flex; align-items: center; gap: 18px; border-radius: 10px; padding: 10px 20px; color: #fff; background: var(--run); min-height: 86px; }
.phase-box.waiting { background: var(--wait); }
.phase-box.finished { background: var(--done); }
.phase-box.failed { background: var(--fail); }
.phase-box .state { font-size: 18px; text-transform: uppercase; letter-spacing: 0.06em; opacity: 0.95; white-space: nowrap; }
.phase-box .phase { font-size: 36px; font-weight: 700; line-height: 1.15; }
.phase-box .phase-label { font-size: 22px; }
.phase-box .figures { margin-left: auto; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.phase-box .rss { font-size: 34px; font-weight: 700; }
.phase-box .time { font-size: 18px; }
button#next { font: inherit; font-size: 30px; font-weight: 700; padding: 0 34px; border-radius: 10px; border: 3px solid var(--wait); background: #fff; color: var(--wait); cursor: pointer; min-height: 86px; }
button#next:disabled { border-color: var(--line); color: #aaa; cursor: default; }
button#next:not(:disabled) { box-shadow: 0 0 0 4px rgba(179, 92, 0, 0.25); }
.hint { font-size: 16px; color: var(--muted); margin: -6px 0 8px; }
.variants { display: flex; flex-wrap: wrap; gap: 8px 14px; margin: 0 0 10px; font-size: 19px; }
.variants li { list-style: none; border: 2px solid var(--line); border-radius: 20px; padding: 2px 14px; display: flex; align-items: center; gap: 8px; }
.variants li .dot { width: 16px; height: 16px; border-radius: 50%; display: inline-block; }
.variants li.running { border-color: var(--run); font-weight: 700; }
.variants li.failed { border-color: var(--fail); }
.variants li.skipped, .variants li.waiting { color: var(--muted); }
.variants ul { margin: 0; padding: 0; display: contents; }
.layout { display: grid; grid-template-columns: minmax(0, 2.4fr) minmax(320px, 1fr); gap: 20px; align-items: start; }
@media (max-width: 1200px) { .layout { grid-template-columns: 1fr; } }
figure { margin: 0 0 14px; }
figcaption { font-weight: 700; font-size: 20px; margin-bottom: 4px; }
.chart { width: 100%; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.chart-lines { height: 520px; }
.chart-layers, .chart-pagemap { height: 380px; }
.toggles { margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 17px; }
.toggles label { white-space: nowrap; cursor: pointer; }
.toggles svg { vertical-align: middle; }
.pages { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 14px; }
.story { background: var(--band); border-radius: 8px; padding: 10px 14px; position: sticky; top: 8px; max-height: calc(100vh - 16px); overflow-y: auto; }
.story h2 { font-size: 22px; margin: 2px 0 8px; }
.story ol { margin: 0; padding-left: 28px; }
.story li { margin: 0 0 10px; padding: 6px 10px; border-radius: 6px; border-left: 6px solid transparent; }
.story li .t { font-weight: 700; }
.story li .k { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 15px; color: var(--muted); margin-left: 6px; }
.story li p { margin: 4px 0 0; font-size: 18px; }
.story li.past { color: #6b6b6b; }
.story li.now { background: #fff; border-left-color: var(--run); box-shadow: 0 1px 4px rgba(0,0,0,0.15); font-size: 21px; }
.story li.now p { font-size: 21px; }
.story.waiting li.now { border-left-color: var(--wait); }
.finished { border: 3px solid var(--done); border-radius: 8px; padding: 10px 16px; margin: 10px 0; font-size: 19px; }
.finished code { font-size: 17px; word-break: break-all; }
.error { border-color: var(--fail); }
.notices { font-size: 15px; color: var(--muted); margin-top: 8px; }
.notices li { margin: 2px 0; }
.muted { color: var(--muted); }
.empty { color: var(--muted); padding: 40px; text-align: center; }
[hidden] { display: none !important; }
`;
