// What a first-time reader is promised by the package's own front page: the two commands, a licence
// that matches package.json, and nothing that points outside the package (links resolve inside it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; scripts: Record<string, string> };

describe('README and LICENSE', () => {
  it('readme - the two setup commands are there, and package.json defines them', () => {
    expect(readme).toContain('npm ci && npm run experiment');
    expect(readme).toContain('npm ci && npm test');
    expect(pkg.scripts.experiment).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
  });

  it('readme - every relative link and image resolves to a file in the package; nothing points at the team folder', () => {
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(2);
    for (const l of links) expect(existsSync(join(ROOT, l)), l).toBe(true);
    expect(readme).not.toMatch(/shared\/|PHENOMENA|seeds\//);
  });

  it('readme - every command of the CLI has its line in the details', () => {
    for (const cmd of ['run', 'list', 'doctor', 'restore', 'watch', 'report', 'compare', 'workshop']) expect(readme, cmd).toMatch(new RegExp(`^rsslab ${cmd} `, 'm'));
  });

  it('license - an MIT LICENSE file, as package.json says', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n[\s\S]*Permission is hereby granted, free of charge/);
  });
});
