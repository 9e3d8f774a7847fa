// Child for region-gc.test.ts (run with node --expose-gc): map and touch many regions, drop them without
// unmap(), collect, and report VmRSS. If the finalizers did not munmap, RSS would hold every region.
import { readFileSync } from 'node:fs';
import { mapRegion } from '../../../src/core/region.js';

const count = Number(process.argv[2] ?? 200);
const lengthBytes = Number(process.argv[3] ?? 8 * 1024 * 1024);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function vmRssBytes(): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1]) * 1024;
}
function regionMappings(): number {
  // rw-p anonymous lines of exactly our length: ours (guard pages keep them unmerged)
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => {
    const m = /^([0-9a-f]+)-([0-9a-f]+) rw-p 00000000 00:00 0\s*$/.exec(l);
    return m !== null && Number(BigInt('0x' + m[2]) - BigInt('0x' + m[1])) === lengthBytes;
  }).length;
}
// Collection takes a few turns: the Region handle's finalizer releases its buffer, V8 sweeps array
// buffers concurrently, and Node runs the external buffer's finalizer (our munmap) from the event loop.
// So: collect and yield until no region is left, at most `rounds` times; returns the rounds it took.
const settle = async (rounds = 3): Promise<number> => {
  for (let i = 1; i <= rounds; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (regionMappings() === 0) return i;
  }
  return rounds;
};

// Allocation happens in plain functions so no suspended async frame can keep the last region reachable.
function mapAndDrop(n: number): void {
  for (let i = 0; i < n; i++) mapRegion(lengthBytes).touch();
}
function keepOnlyBuffer(): Uint8Array {
  const view = new Uint8Array(mapRegion(lengthBytes).buffer);
  view.fill(5, 0, 4096);
  return view;
}

const rssStart = vmRssBytes();
let peakMappings = 0;
for (let done = 0; done < count; done += 20) {
  mapAndDrop(Math.min(20, count - done));
  peakMappings = Math.max(peakMappings, regionMappings());
  await settle();
}
const roundsToZero = await settle(50);
// one region whose buffer outlives its handle: the mapping must stay until the buffer goes too
let kept: Uint8Array | undefined = keepOnlyBuffer();
await settle();
const keptReadable = kept[4095] === 5 && regionMappings() === 1;
kept = undefined;
const keptRounds = await settle(50);
process.stdout.write(JSON.stringify({ rssStart, rssEnd: vmRssBytes(), peakMappings, mappingsEnd: regionMappings(), keptReadable, roundsToZero, keptRounds }) + '\n');
