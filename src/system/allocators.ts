// Which malloc implementations this machine can preload, and the environment that selects and tunes
// one for a child (seed 000: glibc arenas vs jemalloc vs mimalloc vs tcmalloc on the same workload).
// Libraries are found through the dynamic linker's cache (`ldconfig -p`, run with an argument array,
// never a shell) and the standard library directories; versions come from the Debian package
// database where there is one, else from the file name.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { KNOWN_ALLOCATORS, type KnownAllocator } from '../run/allocator.js';

interface Candidate {
  sonames: string[];
  packages: string[];
  install: string;
}

const CANDIDATES: Record<Exclude<KnownAllocator, 'glibc'>, Candidate> = {
  jemalloc: { sonames: ['libjemalloc.so.2'], packages: ['libjemalloc2'], install: 'apt-get install libjemalloc2' },
  mimalloc: {
    sonames: ['libmimalloc.so.2', 'libmimalloc.so.2.0', 'libmimalloc.so'],
    packages: ['libmimalloc2.0', 'libmimalloc2'],
    install: 'apt-get install libmimalloc2.0',
  },
  tcmalloc: {
    sonames: ['libtcmalloc_minimal.so.4'],
    packages: ['libtcmalloc-minimal4', 'libtcmalloc-minimal4t64'],
    install: 'apt-get install libtcmalloc-minimal4',
  },
};

export const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

export interface LdconfigEntry {
  soname: string;
  /** e.g. "libc6,x86-64" */
  flags: string;
  path: string;
}

/** Parses `ldconfig -p`: "\tlibjemalloc.so.2 (libc6,x86-64) => /lib/x86_64-linux-gnu/libjemalloc.so.2". */
export function parseLdconfig(text: string): LdconfigEntry[] {
  const entries: LdconfigEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s+(\S+)\s+\(([^)]*)\)(?:\s+OS ABI:[^=]*)?\s+=>\s+(\S.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined && match[3] !== undefined) {
      entries.push({ soname: match[1], flags: match[2], path: match[3].trim() });
    }
  }
  return entries;
}

/** Installed package versions from /var/lib/dpkg/status: package name → version ("5.3.0-1"). */
export function parseDpkgStatus(text: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1]?.trim();
    const pkg = field('Package');
    const version = field('Version');
    const status = field('Status');
    if (pkg !== undefined && version !== undefined && status?.endsWith(' installed') === true) versions.set(pkg, version);
  }
  return versions;
}

/** "1:2.0.9+ds-2" → "2.0.9": drop the epoch, the Debian revision and repack suffixes. */
function upstreamVersion(debian: string): string {
  return debian.replace(/^\d+:/, '').replace(/-[^-]*$/, '').replace(/[+~](ds|dfsg)\d*$/, '');
}

/** An allocator library as found on this machine (or not found, and why): what can be preloaded. */
export interface InstalledAllocator {
  name: KnownAllocator;
  /** the library to preload (null for glibc: it is already there) */
  library: string | null;
  version: string | null;
  /** where the version came from: the package database, the file name, or glibc itself */
  versionSource: 'dpkg' | 'filename' | 'runtime' | null;
  package: string | null;
  found: boolean;
  /** when not found: why, and how to get it */
  reason: string | null;
}

export interface FindAllocatorsOptions {
  /** file system root; a fixture tree in tests */
  root?: string;
  /** `ldconfig -p` output, when already read */
  ldconfig?: LdconfigEntry[];
}

function glibcInfo(): InstalledAllocator {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  const version = header?.glibcVersionRuntime ?? null;
  return { name: 'glibc', library: null, version, versionSource: version === null ? null : 'runtime', package: null, found: true, reason: null };
}

function versionOf(root: string, candidate: Candidate, library: string): Pick<InstalledAllocator, 'version' | 'versionSource' | 'package'> {
  let real = library;
  try {
    real = realpathSync(library);
  } catch {
    // keep the name we have
  }
  let status: Map<string, string> | null = null;
  try {
    status = parseDpkgStatus(readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8'));
  } catch {
    // not a Debian system
  }
  if (status !== null) {
    const inRoot = real.startsWith(root) ? real.slice(root.length - (root.endsWith('/') ? 1 : 0)) : real;
    for (const pkg of candidate.packages) {
      const version = status.get(pkg);
      if (version === undefined) continue;
      const lists = [`${pkg}:amd64.list`, `${pkg}:arm64.list`, `${pkg}.list`].map((f) => join(root, 'var/lib/dpkg/info', f));
      const owns = lists.some((list) => {
        try {
          return readFileSync(list, 'utf8').split('\n').some((line) => line === inRoot || line === library);
        } catch {
          return false;
        }
      });
      if (owns) return { version: upstreamVersion(version), versionSource: 'dpkg', package: `${pkg} ${version}` };
    }
  }
  // libmimalloc.so.2.0 → 2.0; libtcmalloc_minimal.so.4.5.10 → 4.5.10 (the soname's version, not the project's)
  const fromName = /\.so\.([\d.]+)$/.exec(basename(real))?.[1] ?? null;
  return { version: fromName, versionSource: fromName === null ? null : 'filename', package: null };
}

/** How `ldconfig -p` tags a library built for the running architecture (a 32-bit copy must not be preloaded). */
const LDCONFIG_ARCH: Partial<Record<string, string>> = { x64: 'x86-64', arm64: 'AArch64', ppc64: '64bit', s390x: '64bit', riscv64: '64bit' };

/** Every place the library could be, the linker cache's answer first. */
function candidates(root: string, candidate: Candidate, ldconfig: LdconfigEntry[]): string[] {
  const out: string[] = [];
  for (const soname of candidate.sonames) {
    const sameArch = ldconfig.filter((e) => e.soname === soname && e.flags.includes(LDCONFIG_ARCH[process.arch] ?? '\0'));
    const hit = sameArch[0] ?? ldconfig.find((e) => e.soname === soname && !e.flags.includes(','));
    if (hit !== undefined && existsSync(join(root, hit.path))) out.push(join(root, hit.path));
  }
  for (const dir of LIBRARY_DIRS) {
    for (const soname of candidate.sonames) {
      const path = join(root, dir, soname);
      if (existsSync(path)) out.push(path);
    }
  }
  return out;
}

/** The first place that holds the library and may be preloaded, or why none may. */
function locate(root: string, candidate: Candidate, ldconfig: LdconfigEntry[]): { library: string | null; distrust: string | null } {
  let distrust: string | null = null;
  for (const path of candidates(root, candidate, ldconfig)) {
    const reason = untrustedLibraryReason(path, root);
    if (reason === null) return { library: path, distrust: null };
    distrust ??= `${candidate.sonames[0]} found at ${path}, but not preloaded: ${reason}`;
  }
  return { library: null, distrust };
}

/** Synchronous search of the standard directories (and a given ldconfig listing). */
export function findAllocatorsSync(options: FindAllocatorsOptions = {}): InstalledAllocator[] {
  const root = options.root ?? '/';
  const ldconfig = options.ldconfig ?? [];
  const result: InstalledAllocator[] = [glibcInfo()];
  for (const name of ['jemalloc', 'mimalloc', 'tcmalloc'] as const) {
    const candidate = CANDIDATES[name];
    const { library, distrust } = locate(root, candidate, ldconfig);
    if (library === null && distrust !== null) {
      result.push({ name, library: null, version: null, versionSource: null, package: null, found: false, reason: distrust });
    } else if (library === null) {
      result.push({
        name,
        library: null,
        version: null,
        versionSource: null,
        package: null,
        found: false,
        reason: `${candidate.sonames[0]} not found: ${candidate.install}`,
      });
    } else {
      result.push({ name, library, ...versionOf(root, candidate, library), found: true, reason: null });
    }
  }
  return result;
}

/**
 * Only the system's own ldconfig, by absolute path: what it names is LD_PRELOADed into children run
 * as root, so an `ldconfig` earlier on PATH (a user's ~/bin, a writable directory) must not choose it.
 */
export const LDCONFIG_PATHS = ['/sbin/ldconfig', '/usr/sbin/ldconfig'] as const;

async function readLdconfig(): Promise<LdconfigEntry[]> {
  for (const command of LDCONFIG_PATHS) {
    try {
      const { stdout } = await execa(command, ['-p'], { timeout: 10_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' }, extendEnv: false });
      return parseLdconfig(stdout);
    } catch {
      // not there (merged /usr or not): try the other
    }
  }
  return [];
}

/** The directories a preloaded allocator may come from: the system's own library directories. */
export const SYSTEM_LIBRARY_DIRS = [
  '/lib',
  '/lib64',
  '/usr/lib',
  '/usr/lib64',
  '/usr/local/lib',
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
];

/**
 * Why `library` must not be preloaded, or null: after resolving links it must lie directly in a system
 * library directory, and it and every directory above it must be root's and writable by nobody else
 * (on the real root; a fixture tree is checked for the directory only).
 */
export function untrustedLibraryReason(library: string, root = '/'): string | null {
  let real: string;
  try {
    real = realpathSync(library);
  } catch (error) {
    return `cannot resolve ${library}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  const inRoot = root === '/' ? real : real.startsWith(root.replace(/\/$/, '') + '/') ? real.slice(root.replace(/\/$/, '').length) : null;
  if (inRoot === null || !SYSTEM_LIBRARY_DIRS.includes(dirname(inRoot))) {
    return `${real} is not in a system library directory (${SYSTEM_LIBRARY_DIRS.join(', ')})`;
  }
  if (root !== '/') return null;
  for (let path = real; ; path = dirname(path)) {
    const stat = statSync(path);
    if (stat.uid !== 0) return `${path} is owned by uid ${stat.uid}, not root`;
    if ((stat.mode & 0o022) !== 0) return `${path} is writable by others (mode ${(stat.mode & 0o777).toString(8)})`;
    if (path === '/') return null;
  }
}

/** Every allocator with its library and version, or why it is missing. glibc is always there. */
export async function findAllocators(options: FindAllocatorsOptions = {}): Promise<InstalledAllocator[]> {
  const root = options.root ?? '/';
  const ldconfig = options.ldconfig ?? (root === '/' ? await readLdconfig() : []);
  return findAllocatorsSync({ root, ldconfig });
}

export interface AllocatorOptions {
  /** jemalloc's MALLOC_CONF, as a string ("dirty_decay_ms:0,muzzy_decay_ms:0") or options */
  mallocConf?: string | Record<string, string | number | boolean>;
  /** MIMALLOC_<NAME> variables, e.g. { purge_delay: 0 } (mimalloc 2.0 calls it reset_delay) */
  mimalloc?: Record<string, string | number | boolean>;
  /** TCMALLOC_<NAME> variables, e.g. { release_rate: 10 } */
  tcmalloc?: Record<string, string | number | boolean>;
  /** glibc: MALLOC_ARENA_MAX */
  mallocArenaMax?: number;
  /** glibc tunables, e.g. { 'glibc.malloc.arena_max': 2, 'glibc.malloc.trim_threshold': 131072 } */
  glibcTunables?: Record<string, string | number>;
}

export type AllocatorEnvResult =
  | { ok: true; name: KnownAllocator; library: string | null; version: string | null; env: Record<string, string> }
  | { ok: false; name: KnownAllocator; skipped: true; reason: string };

function checkValue(what: string, value: string | number | boolean, forbidden: RegExp): string {
  const text = String(value);
  if (text === '' || forbidden.test(text) || /[\0\n]/.test(text)) {
    throw new TypeError(`${what} has an invalid value ${JSON.stringify(value)}`);
  }
  return text;
}

/** Merges tunables into an existing GLIBC_TUNABLES string ("a=1:b=2"): ours override, order kept. */
export function mergeGlibcTunables(existing: string | undefined, tunables: Record<string, string | number>): string {
  const merged = new Map<string, string>();
  for (const part of (existing ?? '').split(':')) {
    const eq = part.indexOf('=');
    if (eq > 0) merged.set(part.slice(0, eq), part.slice(eq + 1));
  }
  for (const [name, value] of Object.entries(tunables)) {
    if (!/^glibc\.[a-z_]+\.[a-z0-9_]+$/.test(name)) {
      throw new TypeError(`"${name}" is not a glibc tunable name (expected e.g. glibc.malloc.arena_max)`);
    }
    merged.set(name, checkValue(`tunable ${name}`, value, /[:=]/));
  }
  return [...merged].map(([k, v]) => `${k}=${v}`).join(':');
}

function prefixed(prefix: string, values: Record<string, string | number | boolean>, env: Record<string, string>): void {
  for (const [key, value] of Object.entries(values)) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) throw new TypeError(`"${key}" is not a valid ${prefix}* option name`);
    env[`${prefix}${key.toUpperCase()}`] = checkValue(`${prefix}${key.toUpperCase()}`, value, /[\0]/);
  }
}

/**
 * The variables to add to a child's environment for `name` with `options` (only what changes; the
 * caller spreads it over the parent's env). LD_PRELOAD is prepended to `baseEnv`'s, GLIBC_TUNABLES
 * and MALLOC_CONF are merged with `baseEnv`'s. A missing library is a skip with the reason, not an
 * error; an option for the wrong allocator is a TypeError.
 */
export function allocatorEnv(
  name: KnownAllocator,
  options: AllocatorOptions = {},
  context: { allocators?: InstalledAllocator[]; baseEnv?: NodeJS.ProcessEnv } = {},
): AllocatorEnvResult {
  if (!(KNOWN_ALLOCATORS as readonly string[]).includes(name)) {
    throw new TypeError(`unknown allocator "${String(name)}": one of ${KNOWN_ALLOCATORS.join(', ')}`);
  }
  const wrong = (option: string, owner: string): never => {
    throw new TypeError(`${option} only applies to ${owner}, not to ${name}`);
  };
  if (options.mallocConf !== undefined && name !== 'jemalloc') wrong('mallocConf', 'jemalloc');
  if (options.mimalloc !== undefined && name !== 'mimalloc') wrong('mimalloc options', 'mimalloc');
  if (options.tcmalloc !== undefined && name !== 'tcmalloc') wrong('tcmalloc options', 'tcmalloc');
  if (options.mallocArenaMax !== undefined && name !== 'glibc') wrong('mallocArenaMax', 'glibc malloc');
  if (options.glibcTunables !== undefined && name !== 'glibc') wrong('glibcTunables', 'glibc malloc');

  const baseEnv = context.baseEnv ?? process.env;
  const info = (context.allocators ?? findAllocatorsSync()).find((a) => a.name === name);
  if (info === undefined || !info.found) {
    return { ok: false, name, skipped: true, reason: info?.reason ?? `${name} not found` };
  }
  const env: Record<string, string> = {};
  if (info.library !== null) {
    const existing = baseEnv.LD_PRELOAD?.trim();
    env.LD_PRELOAD = existing !== undefined && existing !== '' ? `${info.library}:${existing}` : info.library;
  }
  if (options.mallocConf !== undefined) {
    const ours =
      typeof options.mallocConf === 'string'
        ? checkValue('MALLOC_CONF', options.mallocConf, /[\0]/)
        : Object.entries(options.mallocConf)
            .map(([k, v]) => `${checkValue('MALLOC_CONF key', k, /[:,]/)}:${checkValue(`MALLOC_CONF ${k}`, v, /[:,]/)}`)
            .join(',');
    // jemalloc applies options left to right, so ours (last) win over an inherited MALLOC_CONF
    const inherited = baseEnv.MALLOC_CONF?.trim();
    env.MALLOC_CONF = inherited !== undefined && inherited !== '' ? `${inherited},${ours}` : ours;
  }
  if (options.mimalloc !== undefined) prefixed('MIMALLOC_', options.mimalloc, env);
  if (options.tcmalloc !== undefined) prefixed('TCMALLOC_', options.tcmalloc, env);
  if (options.mallocArenaMax !== undefined) {
    if (!Number.isSafeInteger(options.mallocArenaMax) || options.mallocArenaMax < 1) {
      throw new RangeError(`mallocArenaMax must be a positive integer, got ${options.mallocArenaMax}`);
    }
    env.MALLOC_ARENA_MAX = String(options.mallocArenaMax);
  }
  if (options.glibcTunables !== undefined) env.GLIBC_TUNABLES = mergeGlibcTunables(baseEnv.GLIBC_TUNABLES, options.glibcTunables);
  return { ok: true, name, library: info.library, version: info.version, env };
}
