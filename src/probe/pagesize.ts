// The base page size, which /proc/<pid>/pagemap is indexed by. x86_64 is always 4 KiB, arm64 may be
// 16 or 64 KiB; the kernel says it in every smaps entry (KernelPageSize).
import path from 'node:path';
import { readTextIfPresent } from './procfile.js';

const cache = new Map<string, number>();

export function parseKernelPageSize(smapsText: string): number | null {
  const at = smapsText.indexOf('KernelPageSize:');
  if (at === -1) return null;
  const kib = parseInt(smapsText.slice(at + 15, smapsText.indexOf('\n', at)), 10);
  return Number.isNaN(kib) ? null : kib * 1024;
}

/** From /proc/self/smaps of this process (the parent: same kernel as the child), else 4096. */
export function readPageSize(root = '/'): number {
  const known = cache.get(root);
  if (known !== undefined) return known;
  const text = readTextIfPresent(path.join(root, 'proc', 'self', 'smaps'));
  const size = (text === null ? null : parseKernelPageSize(text)) ?? 4096;
  cache.set(root, size);
  return size;
}
