// Builds dist/report-charts.js, the one chart script every report and the workshop page inline:
// ECharts' modular imports (scripts/report-charts-entry.mjs) bundled and minified with esbuild, so a
// report carries ~1/3 of the full ECharts build and echarts is a build-time dependency only.
// Run by `npm run build`, `prepare` (so `npm ci` on a fresh clone produces it) and `pretest`.
import { build } from 'esbuild';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'report-charts.js');
mkdirSync(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, 'scripts', 'report-charts-entry.mjs')],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2018',
  platform: 'browser',
  // ECharts is Apache-2.0: its license notice stays with the code
  legalComments: 'eof',
  logLevel: 'warning',
});
console.log(`built ${outfile} (${Math.round(statSync(outfile).size / 1024)} KiB)`);
