// The package ships to users who never get the team's own folder: nothing in it may send a reader to
// the team's notes (their design page, the digest of the seed cases, the shared folder).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SHIPPED = ['README.md', 'docs', 'native', 'src', 'experiments', 'counterparts', 'scripts', 'binding.gyp', 'package.json'];
const TEXT = /\.(md|ts|mjs|js|cc|h|c|go|gyp|json)$/;

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full).flatMap((name) => files(join(path, name)));
}

describe('package - no pointers into the team folder', () => {
  it('shipped sources and docs name neither DESIGN.md, PHENOMENA nor shared/', () => {
    const hits: string[] = [];
    for (const f of SHIPPED.flatMap(files).filter((x) => TEXT.test(x))) {
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/DESIGN\.md|PHENOMENA|\bshared\/(seeds|DESIGN|PHENOMENA)/.test(line)) hits.push(`${f}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
