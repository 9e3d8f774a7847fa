// khugepaged's own pace, from its settings. It wakes every scan_sleep_millisecs and scans
// pages_to_scan pages (a 2 MiB block of small PTEs costs 512 of them) before sleeping again, so a
// region of N small pages needs ceil(share × N / pages_to_scan) wake-ups to be collapsed up to
// `share` of it. an earlier measurement here had the whole 256 MiB back after 163.5 s at 10 s / 4096 pages:
// 16 wake-ups of 10 s, plus the wait for the first.
export interface KhugepagedPace {
  scanSleepMs: number;
  pagesToScan: number;
  wakeups: number;
  estimatedMs: number;
}

export function khugepagedPace(regionBytes: number, pageSize: number, scanSleepMs: number, pagesToScan: number, share = 0.9): KhugepagedPace | null {
  if (!(scanSleepMs >= 0) || !(pagesToScan > 0) || !(pageSize > 0)) return null;
  const wakeups = Math.max(1, Math.ceil((share * regionBytes) / pageSize / pagesToScan));
  return { scanSleepMs, pagesToScan, wakeups, estimatedMs: wakeups * scanSleepMs };
}
