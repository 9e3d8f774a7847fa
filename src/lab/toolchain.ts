// The machine's own toolchain, as a counterpart build needs it: the compiler of its language, extra
// tools, and headers (looked up through the compiler's include path, so a header that exists but is
// not where the compiler looks counts as missing). Anything missing is said with the exact
// `apt-get install` line, the way a missing allocator is.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import type { CounterpartLanguage } from '../run/schema.js';

/** The command that builds each language, and the Debian package that provides it. */
export const COMPILERS: Record<CounterpartLanguage, { tool: string; apt: string }> = {
  c: { tool: 'cc', apt: 'gcc' },
  'c++': { tool: 'c++', apt: 'g++' },
  go: { tool: 'go', apt: 'golang-go' },
};

/** The executable `name` on `pathVar` (a PATH value), or null. */
export function findExecutable(name: string, pathVar: string | undefined): string | null {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir.startsWith('/')) continue; // a relative PATH entry would make root run whatever is in the cwd
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** The compiler's one-line version (`cc --version`, `go version`), part of the build's cache key. */
export async function compilerVersion(compiler: string, language: CounterpartLanguage, env: NodeJS.ProcessEnv): Promise<string> {
  const args = language === 'go' ? ['version'] : ['--version'];
  const r = await execa(compiler, args, { env, extendEnv: false, reject: false, timeout: 30_000 });
  const first = String(r.stdout).split('\n')[0]?.trim() ?? '';
  if (r.exitCode !== 0 || !first) throw new Error(`${compiler} ${language === 'go' ? 'version' : '--version'} failed: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
  return first;
}

/** Headers the compiler cannot find (`#include <h>` through `cc -E`). */
export async function missingHeaders(compiler: string, language: 'c' | 'c++', headers: readonly string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const missing: string[] = [];
  for (const h of headers) {
    const r = await execa(compiler, ['-x', language, '-E', '-o', '/dev/null', '-'], { input: `#include <${h}>\n`, env, extendEnv: false, reject: false, timeout: 60_000 });
    if (r.exitCode !== 0) missing.push(h);
  }
  return missing;
}

export function aptLine(packages: readonly string[]): string {
  return `apt-get install ${[...new Set(packages)].join(' ')}`;
}
