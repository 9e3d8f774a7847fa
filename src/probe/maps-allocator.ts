// Which malloc a process we did not write uses, read from outside: the allocator libraries mapped
// into it (/proc/<pid>/maps). A real counterpart cannot ask itself the way the replay's child does
// (dlsym on malloc), and the observer stays outside anyway. LD_PRELOAD maps the library; without one
// a dynamically linked program uses glibc's malloc; a static Go binary maps no libc at all.
import type { AllocatorRecord } from '../run/allocator.js';

const KNOWN: Array<{ name: string; pattern: RegExp }> = [
  { name: 'jemalloc', pattern: /\/libjemalloc\.so[^\s]*$/ },
  { name: 'mimalloc', pattern: /\/libmimalloc\.so[^\s]*$/ },
  { name: 'tcmalloc', pattern: /\/libtcmalloc(?:_minimal)?\.so[^\s]*$/ },
];

function pathsOf(maps: string): string[] {
  const out = new Set<string>();
  for (const line of maps.split('\n')) {
    const slash = line.indexOf('/');
    if (slash > 0) out.add(line.slice(slash).trim());
  }
  return [...out];
}

/** The allocator mapped into a process, from the text of its /proc/<pid>/maps. */
export function allocatorFromMaps(maps: string): AllocatorRecord {
  const paths = pathsOf(maps);
  for (const k of KNOWN) {
    const lib = paths.find((p) => k.pattern.test(p));
    if (lib) return { name: k.name, version: null, library: lib };
  }
  const libc = paths.find((p) => /\/libc(?:-[0-9.]+)?\.so[^\s]*$/.test(p));
  if (libc) return { name: 'glibc', version: null, library: libc };
  return { name: 'none (statically linked: its own allocator)', version: null, library: null };
}
