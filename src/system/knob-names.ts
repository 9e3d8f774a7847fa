// The kernel knobs rsslab may change, named by their path under /sys/kernel/mm/transparent_hugepage.
// An allow-list: nothing outside it is ever written.
export const KNOB_NAMES = [
  'enabled',
  'defrag',
  'khugepaged/scan_sleep_millisecs',
  'khugepaged/pages_to_scan',
  'khugepaged/max_ptes_none',
  'khugepaged/defrag',
] as const;
export type KnobName = (typeof KNOB_NAMES)[number];

export const THP_SYSFS = 'sys/kernel/mm/transparent_hugepage';
