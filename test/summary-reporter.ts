// One plain closing line for CI logs — "N passed, N failed, N skipped" — after vitest's own summary,
// so a reader (or a log scanner) sees the outcome without parsing coloured output.
import type { Reporter, RunnerTask, RunnerTestFile } from 'vitest/node';

function count(tasks: RunnerTask[], acc: { passed: number; failed: number; skipped: number }): void {
  for (const t of tasks) {
    if (t.type === 'suite') {
      count(t.tasks, acc);
      continue;
    }
    const state = t.result?.state;
    if (t.mode === 'skip' || t.mode === 'todo' || state === 'skip') acc.skipped++;
    else if (state === 'pass') acc.passed++;
    else if (state === 'fail') acc.failed++;
  }
}

export default class SummaryLineReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const acc = { passed: 0, failed: 0, skipped: 0 };
    count(files, acc);
    // a file that failed to load has no tests but is a failure all the same
    const broken = files.filter((f) => f.result?.state === 'fail' && f.tasks.length === 0).length + errors.length;
    process.stdout.write(`\n${acc.passed} passed, ${acc.failed + broken} failed, ${acc.skipped} skipped\n`);
  }
}
