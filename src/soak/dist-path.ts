// The compiled file a soak area starts in a child process, found from the package folder, so that the
// area works the same imported from src/ (vitest) or from dist/ (npm run soak).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the rsslab package folder');
    dir = up;
  }
  return dir;
}

/** dist/src/<relative> in the package, e.g. distPath('cli.js') */
export function distPath(relative: string): string {
  return join(packageDir(), 'dist', 'src', relative);
}
