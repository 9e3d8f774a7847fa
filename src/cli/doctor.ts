// `rsslab doctor`: what this machine can show, and what each finding means for which experiment.
import { describeLab, type LabMachine } from '../lab/machine.js';
import { formatBytes } from '../report/units.js';
import { COMPILERS, findExecutable } from '../lab/toolchain.js';

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
  out.push({ what: 'cgroup', value: lab.cgroup.version ? `v${lab.cgroup.version} memory controller at ${m.cgroup.memoryControllerPath ?? '?'}` : 'no memory controller', ok: lab.cgroup.canCreate, meaning: lab.cgroup.canCreate ? 'memory-pressure variants (madv-free free-pressure, thp-khugepaged pressure) can run' : `memory-pressure variants are skipped: ${lab.cgroup.reason}` });
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
  if (o.json) {
    process.stdout.write(JSON.stringify({ machine: lab.machine, findings: list }, null, 2) + '\n');
    return 0;
  }
  for (const f of list) process.stdout.write(`${f.ok ? '✓' : '✗'} ${f.what.padEnd(20)} ${f.value}\n    ${f.meaning}\n`);
  return 0;
}
