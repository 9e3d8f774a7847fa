// Which setting an outcome follows, on small tables of outcomes (the real Runs are in
// test/report/matrix.test.ts): settings that split Runs identically are named together, a setting with
// a value per Run ranks after a coarser one, equal settings with different outcomes are called out.
import { describe, expect, it } from 'vitest';
import { dependence } from '../../src/check/depends-on.js';
import { figureLevels } from '../../src/check/figure-levels.js';
import { osReleaseField } from '../../src/probe/os-release.js';

const s = (id: string, values: Array<string | null>) => ({ id, label: id, values });

describe('depends-on', () => {
  it('depends-on - the same outcome everywhere follows nothing', () => {
    expect(dependence(['held', 'held', null], [s('kernel', ['5', '6', '6'])])).toEqual({ kind: 'same', outcome: 'held' });
  });

  it('depends-on - settings that change together are named together, the coarsest split first', () => {
    const d = dependence(['held', 'failed', 'failed'], [s('kernel', ['5', '6', '6']), s('thp', ['always', 'madvise', 'madvise']), s('host', ['a', 'b', 'c']), s('arch', ['x', 'x', 'x'])]);
    expect(d.kind).toBe('explained');
    if (d.kind !== 'explained') return;
    expect(d.best.map((e) => e.settings.map((x) => x.id))).toEqual([['kernel', 'thp']]);
    expect(d.best[0]!.split).toEqual([{ value: '5', outcome: 'held', runs: [0] }, { value: '6', outcome: 'failed', runs: [1, 2] }]);
    expect(d.alsoConsistent.map((e) => e.settings.map((x) => x.id))).toEqual([['host']]);
  });

  it('depends-on - a setting unknown where the variant did not run is judged on the Runs that know it', () => {
    const d = dependence(['skipped', 'ran', 'ran'], [s('tuned', ['no', 'yes', 'yes']), s('thp in force', [null, 'always', 'always'])]);
    expect(d.kind === 'explained' && d.best.map((e) => e.settings.map((x) => x.id))).toEqual([['tuned']]);
  });

  it('depends-on - Runs under equal settings with different outcomes are named, not explained', () => {
    expect(dependence(['held', 'failed'], [s('kernel', ['6', '6'])])).toEqual({ kind: 'unexplained', twins: [0, 1] });
  });

  it('figure-levels - values more than 1.5x and the unit floor apart are levels; near values are one', () => {
    const MiB = 1024 * 1024;
    expect(figureLevels('region.main.rss@max:idle', [16 * MiB, 64 * MiB, 63.9 * MiB, null]).of).toEqual([0, 1, 1, null]);
    expect(figureLevels('metric.timeToRegrowMs', [20, 23, 60]).levels).toHaveLength(1); // within 100 ms
    expect(figureLevels('region.main.rss@end:free', [0, 128 * 1024]).levels).toHaveLength(1); // within 1 MiB
  });

  it('os-release - PRETTY_NAME unquoted and unescaped; absent keys read null', () => {
    const text = 'NAME="Ubuntu"\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04.1 \\"Noble\\" LTS"\nID=ubuntu\n';
    expect(osReleaseField(text, 'PRETTY_NAME')).toBe('Ubuntu 24.04.1 "Noble" LTS');
    expect(osReleaseField(text, 'ID')).toBe('ubuntu');
    expect(osReleaseField(text, 'VARIANT')).toBeNull();
  });
});
