// `rsslab doctor`: what this machine can show, and what each finding means for which experiment.
// Its exit code answers one question a script can ask: can this machine run the default set
// (what `npm run experiment` runs, as root with --tune-system)? 0 every default variant can run,
// 1 some would be skipped (listed with the reason), 2 none can.
import { EXPERIMENT_IDS, loadExperiment } from '../../experiments/index.js';
import { describeLab, type LabMachine } from '../lab/machine.js';
import { planVariant } from '../lab/plan.js';
import { resolveParams, variantParams } from '../lab/params.js';
import { formatBytes } from '../report/units.js';
import { COMPILERS, findExecutable } from '../lab/toolchain.js';
import { printJson } from './json.js';
import type { CgroupSupport } from '../system/cgroup.js';

export const DOCTOR_EXIT = { all: 0, some: 1, none: 2 } as const;

export interface DefaultSetCheck {
  runnable: string[];
  skipped: Array<{ variant: string; reason: string }>;
}

/** Plan every default variant of every experiment on this machine, as `rsslab run --all --tune-system` would. */
export async function checkDefaultSet(lab: LabMachine): Promise<DefaultSetCheck> {
  const out: DefaultSetCheck = { runnable: [], skipped: [] };
  for (const id of EXPERIMENT_IDS) {
    const def = await loadExperiment(id);
    const params = resolveParams(def, { quick: false, overrides: {} });
    for (const v of def.variants.filter((x) => x.default)) {
      const plan = planVariant(def, v, variantParams(params, v.params, {}), lab);
      if (plan.skip) out.skipped.push({ variant: `${id}/${v.id}`, reason: plan.skip });
      else out.runnable.push(`${id}/${v.id}`);
    }
  }
  return out;
}

export function doctorExit(check: DefaultSetCheck): number {
  if (check.skipped.length === 0) return DOCTOR_EXIT.all;
  return check.runnable.length === 0 ? DOCTOR_EXIT.none : DOCTOR_EXIT.some;
}

/**
 * Which hierarchy the machine has and how rsslab gets its memory cgroups there: v1's memory
 * hierarchy, v2 with memory already on for our children, or v2 where rsslab delegates its own cgroup
 * first (moves itself to a leaf and enables memory: the kernel's no-internal-processes rule) — and why not.
 */
export function cgroupFinding(c: CgroupSupport): Finding {
  const layout = { v1: 'cgroup v1', v2: 'cgroup v2 (unified)', hybrid: 'hybrid (v1 controllers and a v2 mount)', none: 'no cgroup file system' }[c.layout];
  const how =
    c.mode === 'v1' ? `memory cgroups from the v1 memory controller under ${c.parent ?? '?'}`
    : c.mode === 'v2-ready' ? `memory cgroups under ${c.parent ?? '?'}, where memory is already on for children`
    : c.mode === 'v2-delegate' ? `memory cgroups under ${c.parent ?? '?'} after rsslab delegates it (moves itself to a leaf, enables memory)`
    : 'no memory cgroups';
  return {
    what: 'cgroup',
    value: `${layout}: ${how}`,
    ok: c.canCreate,
    meaning: c.canCreate ? `memory-pressure variants (madv-free free-pressure, thp-khugepaged pressure) can run: ${c.reason}` : `memory-pressure variants are skipped: ${c.reason}`,
  };
}

interface Finding {
  what: string;
  value: string;
  ok: boolean;
  meaning: string;
}

export function findings(lab: LabMachine): Finding[] {
  const m = lab.machine;
  const t = m.thp;
  const out: Finding[] = [];
  out.push({ what: 'kernel', value: `${m.kernel} (${m.arch}), ${m.cpus} CPUs, ${formatBytes(m.memTotalBytes)}`, ok: true, meaning: 'the kernel whose behaviour every experiment shows' });
  out.push({ what: 'page sizes', value: `${formatBytes(m.pageSize)} pages, ${formatBytes(m.hugePageSize)} huge pages`, ok: m.hugePageSize > 0, meaning: 'sizes are rounded to these' });
  out.push({ what: 'root', value: m.root ? 'yes' : 'no', ok: m.root, meaning: m.root ? 'knobs, cgroups and kpageflags are available' : 'without root: no khugepaged speed-up (thp-khugepaged runs at the kernel’s pace), no knob variants, no cgroup variants, page maps show presence only' });
  out.push({
    what: 'THP',
    value: t.enabled === null ? 'not in this kernel' : `enabled=${t.enabled} defrag=${t.defrag}`,
    ok: t.enabled !== null && t.enabled !== 'never',
    meaning: t.enabled === null ? 'thp-khugepaged cannot run' : t.enabled === 'never' ? 'thp-khugepaged shows nothing unless a variant sets enabled (needs root and --tune-system)' : 'thp-khugepaged can run',
  });
  out.push({
    what: 'khugepaged',
    value: `scan_sleep_millisecs=${t.scanSleepMs} pages_to_scan=${t.pagesToScan} max_ptes_none=${t.maxPtesNone} (full_scans=${t.fullScans}, pages_collapsed=${t.pagesCollapsed})`,
    ok: t.scanSleepMs !== null,
    meaning: t.scanSleepMs !== null && t.pagesToScan ? `at this pace khugepaged scans ${formatBytes((t.pagesToScan * m.pageSize * 1000) / Math.max(1, t.scanSleepMs))}/s of address space; with --tune-system rsslab speeds it up for thp-khugepaged and restores it` : 'no khugepaged settings',
  });
  out.push(cgroupFinding(lab.cgroup));
  out.push({ what: 'may change knobs', value: lab.tune.ok ? 'yes (with --tune-system or a yes at the prompt)' : 'no', ok: lab.tune.ok, meaning: lab.tune.reason });
  out.push({ what: 'MADV_FREE', value: lab.features.madvFree ? 'supported' : 'missing', ok: lab.features.madvFree, meaning: lab.features.madvFree ? 'madv-free can show lazy freeing' : 'madv-free’s free variants are skipped (Linux 4.5+)' });
  out.push({ what: 'MADV_COLLAPSE', value: lab.features.madvCollapse ? 'supported' : 'missing', ok: lab.features.madvCollapse, meaning: lab.features.madvCollapse ? 'thp-khugepaged’s collapse variant can run' : 'the collapse variant is skipped (Linux 6.1+)' });
  out.push({ what: 'page flags', value: lab.pageFlags ? '/proc/kpageflags readable' : 'not readable', ok: lab.pageFlags, meaning: lab.pageFlags ? 'page maps show huge, lazily freed and resident pages' : 'page maps show presence only' });
  for (const a of lab.allocators) {
    out.push({ what: `allocator ${a.name}`, value: a.found ? `${a.version ?? '?'}${a.library ? ` (${a.library})` : ''}` : 'missing', ok: a.found, meaning: a.found ? 'its variants can run' : `its variants are skipped: ${a.reason ?? ''}` });
  }
  for (const [language, c] of Object.entries(COMPILERS)) {
    const path = findExecutable(c.tool, process.env.PATH);
    out.push({
      what: `compiler ${c.tool}`,
      value: path ?? 'missing',
      ok: path !== null,
      meaning: path ? `real counterparts in ${language} can be built (rsslab run --real, rsslab validate)` : `real counterparts in ${language} are skipped: apt-get install ${c.apt}`,
    });
  }
  return out;
}

export async function doctorCommand(o: { json?: boolean }): Promise<number> {
  const lab = await describeLab();
  const list = findings(lab);
  const check = await checkDefaultSet(lab);
  const code = doctorExit(check);
  if (o.json) {
    printJson('rsslab.doctor/1', { exitCode: code, defaultSet: check, machine: lab.machine, findings: list });
    return code;
  }
  for (const f of list) process.stdout.write(`${f.ok ? '✓' : '✗'} ${f.what.padEnd(20)} ${f.value}\n    ${f.meaning}\n`);
  const total = check.runnable.length + check.skipped.length;
  process.stdout.write(`\nDefault set (rsslab run --all, as root with --tune-system): ${check.runnable.length} of ${total} variants can run here.\n`);
  for (const s of check.skipped) process.stdout.write(`  skipped ${s.variant}: ${s.reason}\n`);
  return code;
}
