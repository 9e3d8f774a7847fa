// Where rsslab's own files are (dist/, counterparts/, docs/, package.json, the addon's binding.gyp),
// found from this module's place: in a clone, an npm install and a packed tarball alike. Its own
// module, so that finding a file does not mean importing the addon loader.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('rsslab: cannot find the package root (binding.gyp) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
