import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareRuns } from '../../src/check/compare.js';
import { environmentMismatches } from '../../src/check/environment.js';
import { renderCompareMarkdown, renderCompareTerminal } from '../../src/report/compare.js';
import { parseRun } from '../../src/run/validate.js';
import type { Run } from '../../src/run/schema.js';

// A real quick run of madv-free/dontneed made on this machine; the "other machine" is a DOCTORED COPY
// of it (another Node, kernel, CPU count, jemalloc version, khugepaged pace, and a knob rsslab could not
// set there), the differences a baseline from another VM carries.
const FIXTURE = join(import.meta.dirname, '../fixtures/ci/madv-free-dontneed-x3.json');
const real = (): Run => parseRun(readFileSync(FIXTURE, 'utf8'), FIXTURE);

function otherMachine(): Run {
  const run = real();
  run.machine.node = 'v18.0.0';
  run.machine.kernel = '6.1.0-test';
  run.machine.cpus = run.machine.cpus + 2;
  run.machine.thp.scanSleepMs = 100;
  const je = run.machine.allocators.find((a) => a.name === 'jemalloc');
  if (je) je.version = '9.9.9-doctored';
  else run.machine.allocators.push({ name: 'jemalloc', library: '/usr/lib/libjemalloc.so.2', version: '9.9.9-doctored' });
  for (const v of run.variants) v.settings.skippedSettings = [...v.settings.skippedSettings, { what: 'THP enabled=always', reason: 'no root' }];
  return run;
}

describe('environment mismatches', () => {
  it('environment - the same machine has none', () => {
    expect(environmentMismatches([real()], [real()])).toEqual([]);
    expect(compareRuns([real()], [real()]).environment).toEqual([]);
  });
  it('environment - Node, kernel, CPUs, allocator version, khugepaged and a skipped setting are each named with both sides', () => {
    const base = real();
    const m = environmentMismatches([base], [otherMachine()]);
    const by = (what: string) => m.find((x) => x.what === what);
    expect(by('Node')).toMatchObject({ baseline: base.machine.node, candidate: 'v18.0.0', scope: null });
    expect(by('kernel')).toMatchObject({ baseline: base.machine.kernel, candidate: '6.1.0-test' });
    expect(by('CPUs')).toMatchObject({ baseline: String(base.machine.cpus), candidate: String(base.machine.cpus + 2) });
    expect(by('khugepaged scan_sleep_millisecs')!.candidate).toBe('100');
    expect(by('allocator jemalloc')!.candidate).toBe('9.9.9-doctored');
    expect(by('settings skipped')).toMatchObject({ scope: 'madv-free/dontneed', candidate: 'THP enabled=always' });
    expect(m.some((x) => x.what === 'architecture' || x.what === 'page size')).toBe(false);
  });
  it('environment - shown in the terminal, the Markdown and the JSON of a comparison, which still runs', () => {
    const r = compareRuns([real()], [otherMachine()]);
    expect(r.regressions).toBe(0);
    expect(r.environment.length).toBeGreaterThanOrEqual(6);
    expect(renderCompareTerminal(r)).toMatch(/⚠ Environment differs[^\n]*\n(?:.*\n)*  - kernel: baseline [^,]+, candidate 6\.1\.0-test/);
    expect(renderCompareMarkdown(r)).toMatch(/\*\*⚠ Environment differs/);
    expect(renderCompareMarkdown(r)).toMatch(/- madv-free\/dontneed: settings skipped: baseline none, candidate THP enabled=always/);
    expect(JSON.parse(JSON.stringify(r)).environment).toContainEqual({ what: 'Node', baseline: real().machine.node, candidate: 'v18.0.0', scope: null });
  });
  it('environment - after --interleave the same list says the machine changed while the rounds ran', () => {
    const r = { ...compareRuns([real()], [otherMachine()]), interleaved: { rounds: 1, order: ['baseline' as const, 'candidate' as const] } };
    expect(renderCompareTerminal(r)).toMatch(/⚠ Environment changed while the interleaved rounds ran/);
    expect(renderCompareTerminal(r)).not.toMatch(/e\.g\. with --interleave/);
  });
});
