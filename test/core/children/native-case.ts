// Child for the addon's crash regressions (region-large, region-transfer, worker-limits): each case runs
// in its own process so an abort, a SIGSEGV or a hang is seen by the test as this child's signal or
// timeout, never as the test runner dying. Prints one JSON line with what it measured.
//   vite-node native-case.ts <case> [args…]
import { execaSync } from 'execa';
import { readFileSync } from 'node:fs';
import { mapRegion } from '../../../src/core/region.js';
import { NativeThread } from '../../../src/core/workload.js';
import { binding } from '../../../src/core/binding.js';
import { execWithThp } from '../../../src/core/thp.js';

const [which, arg] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;

/** the rw-p line of /proc/self/maps that starts at `address`, or null: the kernel's word on the mapping */
function mappedLength(address: bigint): number | null {
  for (const line of readFileSync('/proc/self/maps', 'latin1').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) rw-p /.exec(line);
    if (m && BigInt('0x' + m[1]) === address) return Number(BigInt('0x' + m[2]) - address);
  }
  return null;
}

function errorOf(f: () => unknown): { name: string; code: unknown; message: string; syscall?: unknown } | null {
  try {
    f();
    return null;
  } catch (e) {
    const err = e as { name: string; code?: unknown; message: string; syscall?: unknown };
    return { name: err.name, code: err.code, message: err.message, syscall: err.syscall };
  }
}

async function settle(done: () => boolean): Promise<number> {
  for (let i = 1; i <= 20; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (done()) return i;
  }
  return -1;
}

async function main(): Promise<unknown> {
  switch (which) {
    case 'big': {
      // map, look at it through the kernel, use the region's methods away from the start, unmap
      const bytes = Number(arg);
      const t0 = performance.now();
      const r = mapRegion(bytes);
      const mapMs = performance.now() - t0;
      const inMaps = mappedLength(r.address);
      const bufferError = errorOf(() => r.buffer);
      const far = Math.floor((r.length - 4096 * 4) / 4096) * 4096; // last pages: past 4 GiB for big regions
      r.touch({ offset: far, length: 8192, value: 7 });
      const resident = r.residency({ offset: far, length: 16384 }).residentPages;
      const sum = r.checksum({ offset: far, length: 16384 });
      r.advise('dontneed', { offset: far, length: 8192 });
      const sumAfter = r.checksum({ offset: far, length: 16384 });
      const t1 = performance.now();
      r.unmap();
      const unmapMs = performance.now() - t1;
      return { length: r.length, inMaps, bufferError, resident, sum, sumAfter, mapped: r.mapped, afterUnmap: mappedLength(r.address), mapMs, unmapMs };
    }
    case 'transfer': {
      // detach the region's buffer by moving it (transfer() or structuredClone with a transfer list),
      // unmap, then write through the moved buffer
      const r = mapRegion(1 << 20);
      // in a plain function, so no live frame keeps the moved buffer reachable afterwards
      const moveUnmapWrite = () => {
        const buf = r.buffer;
        const moved = arg === 'transfer' ? (buf as ArrayBuffer & { transfer(): ArrayBuffer }).transfer() : structuredClone(buf, { transfer: [buf] });
        const detached = buf.byteLength === 0; // a detached source means the memory moved to `moved`
        r.unmap();
        const view = new Uint8Array(moved);
        view[0] = 1;
        view[moved.byteLength - 1] = 2;
        return { detached, wrote: view[0] + view[moved.byteLength - 1] === 3, afterUnmap: mappedLength(r.address) };
      };
      const seen = moveUnmapWrite();
      const mappedFlag = r.mapped;
      const unmapAgain = errorOf(() => r.unmap());
      // the last buffer is unreachable now: the mapping goes when it is collected
      const rounds = await settle(() => mappedLength(r.address) === null);
      return { ...seen, mappedFlag, unmapAgain: unmapAgain?.code, roundsToUnmapped: rounds, finally: mappedLength(r.address) };
    }
    case 'thread-limit': {
      // pthread_create must fail: RLIMIT_NPROC does not apply to root, so become nobody first
      if (process.getuid?.() === 0) {
        process.setgid?.(65534);
        process.setuid?.(65534);
      }
      execaSync('prlimit', ['--pid', String(process.pid), '--nproc=1:1']);
      const err = errorOf(() => new NativeThread());
      // the process goes on: a thread works again once the limit is lifted (raising needs privilege, so only check the error)
      return { err };
    }
    case 'thread-as': {
      // as root too: address space for the thread's 8 MiB stack is not there (RLIMIT_AS just above VmSize)
      const vmSize = Number(/^VmSize:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'))?.[1]) * 1024;
      const limit = vmSize + 4 * 1024 * 1024;
      execaSync('prlimit', ['--pid', String(process.pid), `--as=${limit}:${limit}`]);
      const err = errorOf(() => new NativeThread());
      return { err };
    }
    case 'execve': {
      // the binding itself, as JS code that skips execWithThp would call it; a bad input must throw
      // here, before any exec (an exec would print EXECED and no JSON)
      const sh = ['sh', '-c', 'echo EXECED inherited=$INHERITED'];
      const inherited = Object.assign(Object.create({ INHERITED: 'yes' }) as Record<string, string>, { PATH: '/usr/bin:/bin' });
      const inputs: Record<string, [string[], Record<string, string>]> = {
        'nul-in-arg': [['sh', '-c', 'echo EXECED\0; echo cut'], { PATH: '/usr/bin:/bin' }],
        'nul-in-value': [sh, { PATH: '/usr/bin:/bin', A: 'x\0y' }],
        'nul-in-key': [sh, { PATH: '/usr/bin:/bin', 'A\0B': 'x' }],
        'equals-in-key': [sh, { PATH: '/usr/bin:/bin', 'A=B': 'x' }],
        'empty-key': [sh, { PATH: '/usr/bin:/bin', '': 'x' }],
        inherited: [sh, inherited],
      };
      const input = inputs[arg ?? ''];
      if (input === undefined) throw new Error(`unknown execve input ${arg}`);
      const through = process.argv[4] === 'ts' ? execWithThp : binding().execve;
      return { err: errorOf(() => through('sh', input[0], input[1])) };
    }
    default:
      throw new Error(`unknown case ${which}`);
  }
}

main().then(
  (out) => process.stdout.write(JSON.stringify(out) + '\n'),
  (e: unknown) => {
    process.stdout.write(JSON.stringify({ fatal: String((e as Error)?.stack ?? e) }) + '\n');
    process.exitCode = 1;
  },
);
