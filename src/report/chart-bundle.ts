// The chart library a page inlines: dist/report-charts.js, ECharts' modular build with only the
// charts and components rsslab draws (scripts/build-charts.mjs makes it at build time; echarts is a
// devDependency). A report inlines it compressed (deflate-raw, base64) with a few lines that inflate
// it in the browser (DecompressionStream), so a report stays one offline file of a few hundred KB;
// the workshop page, served live, inlines it as it is.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, constants } from 'node:zlib';

const BUNDLE = join('dist', 'report-charts.js');

function bundlePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, BUNDLE);
    if (existsSync(file)) return file;
    const up = dirname(dir);
    if (up === dir) {
      throw Object.assign(new Error(`the chart bundle ${BUNDLE} is missing above ${fileURLToPath(import.meta.url)}: run \`npm run build\` (or \`node scripts/build-charts.mjs\`) in the package`), {
        code: 'ERR_RSSLAB_NOT_BUILT',
      });
    }
    dir = up;
  }
}

let plain: string | null = null;
let packed: string | null = null;

/** The bundle as a script body, safe inside <script> (defines the global `echarts`). */
export function chartLibraryScript(): string {
  plain ??= readFileSync(bundlePath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  return plain;
}

/**
 * Two <script> elements: the compressed bundle and its loader. The loader defines
 * `window.rsslabCharts`, a promise resolved once `echarts` is defined; page scripts start from it.
 */
export function packedChartScripts(): string {
  packed ??= deflateRawSync(readFileSync(bundlePath()), { level: constants.Z_BEST_COMPRESSION }).toString('base64');
  return `<script type="application/octet-stream" id="rsslab-charts">${packed}</script>
<script>${LOADER}</script>`;
}

// Base64 holds no '<', so the block cannot end the element early. Indirect eval runs the bundle in
// the global scope, as a plain <script> would.
const LOADER = String.raw`
window.rsslabCharts = (function () {
  var b64 = document.getElementById('rsslab-charts').textContent.replace(/\s+/g, '');
  var bin = atob(b64);
  var bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Response(stream).text().then(function (code) { (0, eval)(code); return window.echarts; });
})();
`;
