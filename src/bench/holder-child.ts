// The child the sampler and page-map benches read from outside: it maps and touches memory the way
// the experiments' children do (through the addon), says where it is, and then does nothing until
// it is killed, so every figure the parent takes is the cost of reading, not of a moving target.
// argv[2]: a HolderSpec as JSON (see profile.ts).
import { features } from '../core/features.js';
import { mapRegion, type Region } from '../core/region.js';
import type { HolderSpec } from './profile.js';

export interface HolderReady {
  ready: true;
  regions: Array<{ address: string; lengthBytes: number }>;
}

function parseSpec(text: string | undefined): HolderSpec {
  const spec = JSON.parse(text ?? 'null') as Partial<HolderSpec> | null;
  if (!spec || typeof spec.totalBytes !== 'number' || typeof spec.mappings !== 'number' || (spec.hint !== 'none' && spec.hint !== 'hugepage')) {
    throw new TypeError(`holder-child: argv[2] must be a HolderSpec as JSON ({"totalBytes":N,"mappings":N,"hint":"none"|"hugepage"}), got ${String(text)}`);
  }
  return spec as HolderSpec;
}

const spec = parseSpec(process.argv[2]);
const { pageSize, hugePageSize } = features();
const unit = spec.hint === 'hugepage' ? hugePageSize : pageSize;
const each = Math.max(unit, Math.floor(spec.totalBytes / spec.mappings / unit) * unit);
// Kept referenced for the child's lifetime: a collected Region would be unmapped.
const regions: Region[] = [];
for (let i = 0; i < spec.mappings; i++) {
  const region = mapRegion(each, { alignHuge: spec.hint === 'hugepage' });
  if (spec.hint === 'hugepage') region.advise('hugepage');
  // Adjacent anonymous mappings with the same flags merge into one VMA; MADV_NOHUGEPAGE on every
  // other one gives it different flags, so the child really has `mappings` entries in smaps. In THP
  // madvise mode neither kind gets huge pages, so the memory is the same small pages either way.
  else if (i % 2 === 1) region.advise('nohugepage');
  region.touch({ value: 1 });
  regions.push(region);
}
const ready: HolderReady = { ready: true, regions: regions.map((r) => ({ address: r.addressHex, lengthBytes: r.length })) };
process.stdout.write(JSON.stringify(ready) + '\n');
// Idle until the parent closes stdin or kills us.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
