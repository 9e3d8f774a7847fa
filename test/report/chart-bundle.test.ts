// The report's chart library: built from ECharts' modules at build time, carried compressed, and no
// chart library among the package's runtime dependencies.
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chartLibraryScript, packedChartScripts } from '../../src/report/chart-bundle.js';
import { renderHtml } from '../../src/report/html.js';
import { madvFreeRun } from './fixture.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('chart bundle', () => {
  it('package - no chart library in the runtime dependencies; echarts and esbuild build the bundle', () => {
    expect(Object.keys(pkg.dependencies).filter((d) => /echarts|chart|zrender|plot/i.test(d))).toEqual([]);
    expect(pkg.devDependencies).toHaveProperty('echarts');
    expect(pkg.devDependencies).toHaveProperty('esbuild');
  });

  it('packedChartScripts - the compressed block inflates to exactly the bundle, which defines echarts', () => {
    const html = packedChartScripts();
    const b64 = /<script type="application\/octet-stream" id="rsslab-charts">([A-Za-z0-9+/=]+)<\/script>/.exec(html)?.[1];
    expect(b64).toBeDefined();
    const inflated = inflateRawSync(Buffer.from(b64 ?? '', 'base64')).toString('utf8');
    expect(inflated.replace(/<\/script/gi, '<\\/script')).toBe(chartLibraryScript());
    expect(inflated).toContain('globalThis.echarts');
    expect(b64!.length).toBeLessThan(inflated.length / 2);
  });

  it('renderHtml - a report of the madv-free fixture Run is one file under 400 KB with the library inlined', () => {
    const html = renderHtml([madvFreeRun()]);
    expect(Buffer.byteLength(html)).toBeLessThan(400 * 1024);
    expect(html).toContain('id="rsslab-charts"');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
