// Building a real counterpart with the machine's toolchain, cached. The cache key is a hash of the
// sources (and the shared protocol helper), the flags and the compiler's version, so an upgraded
// compiler or an edited source builds anew and an unchanged one is reused. rsslab runs as root and
// EXECUTES what it finds in the cache: every level must be ours and writable by nobody else (no
// symlinks), and a build happens in a private temp dir renamed into place only when complete.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import type { CounterpartLanguage } from '../run/schema.js';
import { CACHE_LABEL, ensureSafeDir, resolveCacheDir } from '../system/paths.js';
import type { CounterpartSpec, Params } from './experiment.js';
import { COMPILERS, aptLine, compilerVersion, findExecutable, missingHeaders } from './toolchain.js';

export interface BuiltCounterpart {
  id: string;
  label: string;
  language: CounterpartLanguage;
  binary: string;
  binarySha256: string;
  /** the cache key (directory name) */
  hash: string;
  /** true when the binary came from the cache */
  cached: boolean;
  compiler: string;
}

export type BuildResult = { ok: true; built: BuiltCounterpart } | { ok: false; reason: string };

export interface BuildOptions {
  /** where counterparts/<experiment-id>/ and the shared helpers live (default: the package's counterparts/) */
  sourceRoot: string;
  /** the cache root (default: resolveCacheDir()) */
  cacheDir?: string;
  /** PATH and the rest for finding and running the toolchain (default: process.env) */
  env?: NodeJS.ProcessEnv;
  uid?: number;
}

const BUILD_TIMEOUT_MS = 5 * 60_000;
const SHARED_HELPERS: Record<CounterpartLanguage, string> = { c: 'rsslab.h', 'c++': 'rsslab.h', go: 'rsslab.go' };

function uidNow(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Sources as they will be compiled: read once, hashed and written from the same bytes. */
function readSources(experimentId: string, spec: CounterpartSpec<Params>, root: string): Array<{ name: string; bytes: Buffer }> {
  const files = spec.sources.map((name) => {
    if (name !== basename(name) || name.startsWith('.')) throw new RangeError(`counterpart ${spec.id}: source "${name}" must be a plain file name in counterparts/${experimentId}/`);
    return { name, bytes: readFileSync(join(root, experimentId, name)) };
  });
  const helper = SHARED_HELPERS[spec.language];
  if (existsSync(join(root, helper)) && !files.some((f) => f.name === helper)) files.push({ name: helper, bytes: readFileSync(join(root, helper)) });
  return files;
}

/** The binary found in the cache, if it is one we may execute: a regular file, ours, writable by nobody else. */
function trustedBinary(file: string, uid: number): boolean {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return false;
  }
  if (!st.isFile()) throw new Error(`refusing cached counterpart ${file}: not a regular file (remove the folder it is in)`);
  if (uid >= 0 && st.uid !== uid) throw new Error(`refusing cached counterpart ${file}: owned by uid ${st.uid}, not by us (uid ${uid}); remove it`);
  if ((st.mode & 0o022) !== 0) throw new Error(`refusing cached counterpart ${file}: mode ${(st.mode & 0o777).toString(8)} lets others replace it; remove it`);
  return true;
}

function compileCommand(language: CounterpartLanguage, compiler: string, spec: CounterpartSpec<Params>, srcDir: string, out: string, sources: string[]): string[] {
  if (language === 'go') return [compiler, 'build', '-o', out, ...sources];
  const std = language === 'c' ? '-std=gnu11' : '-std=gnu++17';
  return [compiler, '-O2', '-g', '-Wall', '-Wno-unused-function', std, `-I${srcDir}`, ...(spec.flags ?? []), '-o', out, ...sources.filter((s) => !s.endsWith('.h')), ...(spec.link ?? [])];
}

/** Go without the network and without writing outside our cache: GOPATH mode, our own build cache. */
function goEnv(env: NodeJS.ProcessEnv, cacheDir: string, uid: number): NodeJS.ProcessEnv {
  const goCache = ensureSafeDir(join(cacheDir, 'go-build'), uid, CACHE_LABEL);
  const goPath = ensureSafeDir(join(cacheDir, 'gopath'), uid, CACHE_LABEL);
  return { ...env, GOCACHE: goCache, GOPATH: env.GOPATH ?? goPath, HOME: env.HOME ?? cacheDir, GO111MODULE: 'off', GOPROXY: 'off', GOFLAGS: '', GOTOOLCHAIN: 'local' };
}

export async function buildCounterpart(experimentId: string, spec: CounterpartSpec<Params>, o: BuildOptions): Promise<BuildResult> {
  const env = o.env ?? process.env;
  const uid = o.uid ?? uidNow();
  const { tool, apt } = COMPILERS[spec.language];
  const install = aptLine([apt, ...(spec.needs?.apt ?? [])]);
  const compiler = findExecutable(tool, env.PATH);
  if (!compiler) return { ok: false, reason: `counterpart ${spec.id} needs the ${spec.language} compiler \`${tool}\`, which is not on PATH: ${install}` };
  const tools = (spec.needs?.tools ?? []).filter((t) => !findExecutable(t, env.PATH));
  if (tools.length) return { ok: false, reason: `counterpart ${spec.id} needs ${tools.join(', ')}, not on PATH: ${install}` };
  if (spec.language !== 'go' && spec.needs?.headers?.length) {
    const missing = await missingHeaders(compiler, spec.language, spec.needs.headers, env);
    if (missing.length) return { ok: false, reason: `counterpart ${spec.id} needs the header${missing.length > 1 ? 's' : ''} ${missing.map((h) => `<${h}>`).join(', ')}: ${install}` };
  }

  const sources = readSources(experimentId, spec, o.sourceRoot);
  const version = await compilerVersion(compiler, spec.language, env);
  const key = {
    experimentId,
    id: spec.id,
    language: spec.language,
    compiler,
    version,
    flags: spec.flags ?? [],
    link: spec.link ?? [],
    sources: sources.map((s) => [s.name, sha256(s.bytes)]),
  };
  const hash = sha256(JSON.stringify(key)).slice(0, 32);

  const root = ensureSafeDir(o.cacheDir ?? resolveCacheDir({ env }), uid, CACHE_LABEL);
  const cacheDir = ensureSafeDir(join(root, 'counterparts'), uid, CACHE_LABEL);
  const finalDir = join(cacheDir, hash);
  const done = (cached: boolean): BuildResult => {
    const binary = join(finalDir, 'prog');
    return { ok: true, built: { id: spec.id, label: spec.label, language: spec.language, binary, binarySha256: sha256(readFileSync(binary)), hash, cached, compiler: version } };
  };
  if (existsSync(finalDir)) {
    ensureSafeDir(finalDir, uid, CACHE_LABEL);
    if (trustedBinary(join(finalDir, 'prog'), uid)) return done(true);
    rmSync(finalDir, { recursive: true, force: true }); // a half-removed entry: build it again
  }

  const tmp = mkdtempSync(join(cacheDir, '.build-'));
  try {
    const srcDir = join(tmp, 'src');
    mkdirSync(srcDir, { mode: 0o700 });
    for (const s of sources) writeFileSync(join(srcDir, s.name), s.bytes, { mode: 0o600 });
    const out = join(tmp, 'prog');
    const names = sources.map((s) => s.name);
    const [cmd, ...args] = compileCommand(spec.language, compiler, spec, srcDir, out, spec.language === 'go' ? names.filter((n) => n.endsWith('.go')) : names);
    const buildEnv = spec.language === 'go' ? goEnv(env, cacheDir, uid) : env;
    const r = await execa(cmd!, args, { cwd: srcDir, env: buildEnv, extendEnv: false, reject: false, timeout: BUILD_TIMEOUT_MS, all: true });
    if (r.exitCode !== 0) {
      const tail = String(r.all ?? '').trim().split('\n').slice(-12).join('\n');
      return { ok: false, reason: `building counterpart ${spec.id} failed (${[tool, ...args.slice(0, 6)].join(' ')} …): ${tail || (r.timedOut ? 'timed out' : `exit ${r.exitCode}`)}` };
    }
    writeFileSync(join(tmp, 'build.json'), JSON.stringify({ ...key, command: [cmd, ...args], builtAt: new Date().toISOString() }, null, 2) + '\n', { mode: 0o600 });
    try {
      renameSync(tmp, finalDir);
    } catch (e) {
      // Another rsslab built the same hash meanwhile: theirs is as good as ours.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
      ensureSafeDir(finalDir, uid, CACHE_LABEL);
      if (!trustedBinary(join(finalDir, 'prog'), uid)) throw e;
    }
    return done(false);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
