import { describe, it, expect } from 'vitest';
import { parseRun, RunFormatError } from '../../src/run/validate.js';
import { encodePages, decodePages, countPages } from '../../src/run/pagemap-codec.js';

const minimal = {
  schema: 'rsslab.run',
  schemaVersion: 1,
  rsslabVersion: '0.1.0',
  kind: 'experiment',
  experiment: { id: 'x', title: 't', seed: null, summary: '', story: [], params: {}, profile: 'quick', headline: [], series: [] },
  machine: { kernel: '6.18', pageSize: 4096, hugePageSize: 2097152, root: true, thp: {}, cgroup: {}, features: {}, allocators: [] },
  startedAt: '2026-01-01T00:00:00Z',
  durationMs: 1,
  command: [],
  variants: [],
  skipped: [],
  systemLog: [],
};

describe('Run validation', () => {
  it('parseRun - accepts a minimal valid Run', () => {
    expect(parseRun(JSON.stringify(minimal), 'a.json').experiment.id).toBe('x');
  });
  it('parseRun - truncated JSON names the file and says what to do', () => {
    expect(() => parseRun(JSON.stringify(minimal).slice(0, 50), 'cut.json')).toThrow(/cut\.json: not valid JSON.*run the experiment again/);
  });
  it('parseRun - a newer schema version names both versions', () => {
    expect(() => parseRun(JSON.stringify({ ...minimal, schemaVersion: 9 }), 'v9.json')).toThrow(/reads version 1 and 2 \(writes 2\), the file is version 9/);
  });
  it('parseRun - names the first bad field', () => {
    // every field the renderers read is present but one (a variant without description or settings would crash the HTML)
    const settings = { thp: {}, knobs: [], env: {}, nodeArgs: [], thpDisable: false, allocator: null, cgroup: null, skippedSettings: [] };
    const bad = { ...minimal, variants: [{ variant: 'v', label: 'l', description: '', repeat: 0, status: 'ok', startedAt: '', durationMs: 1, settings, marks: [], samples: [{ tMs: 0, rssBytes: 'big', regions: {} }], reports: [], pageMaps: [], expectations: [], metrics: {} }] };
    try {
      parseRun(JSON.stringify(bad), 'b.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RunFormatError);
      expect((e as RunFormatError).field).toBe('run.variants[0].samples[0].rssBytes');
    }
  });
  it('parseRun - not a Run at all', () => {
    expect(() => parseRun('{"hello":1}', 'h.json')).toThrow(/not an rsslab Run file/);
  });
});

describe('page map codec', () => {
  it('encodePages/decodePages - round trip and compact runs', () => {
    const raw = '.'.repeat(511) + 'r' + 'H'.repeat(512) + 'L';
    const rle = encodePages(raw);
    expect(rle).toBe('511.r512HL');
    expect(decodePages(rle)).toBe(raw);
    expect(countPages(rle)).toEqual({ '.': 511, r: 1, H: 512, L: 1 });
  });
  it('decodePages - a trailing count is a RangeError', () => {
    expect(() => decodePages('12')).toThrow(RangeError);
  });
});
