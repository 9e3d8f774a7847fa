// The native sources a prebuilt addon is made from, hashed: binding.gyp and native/* in name order.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function nativeSourcesHash(root = ROOT) {
  const h = createHash('sha256');
  const files = ['binding.gyp', ...readdirSync(join(root, 'native')).sort().map((f) => join('native', f))];
  for (const f of files) {
    h.update(f + '\0');
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}
