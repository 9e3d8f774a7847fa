// The examples at the end of every `--help`: a command line a reader can copy, and what it does.
const EXAMPLES: Record<string, Array<[string, string]>> = {
  rsslab: [
    ['sudo rsslab run --all --tune-system', 'every experiment, default variants, khugepaged sped up (restored afterwards)'],
    ['rsslab list thp-khugepaged', 'one experiment: its variants, what each needs, its parameters'],
    ['rsslab doctor', 'what this machine can show; exit 0/1/2 = all/some/none of the default set'],
    ['rsslab watch -- ./my-server', 'sample any program from outside and write a Run'],
  ],
  run: [
    ['rsslab run thp-khugepaged --quick', 'one experiment, quick profile, at the machine’s own pace'],
    ['sudo rsslab run thp-khugepaged --tune-system', 'the same with khugepaged sped up for the run (knobs restored)'],
    ['rsslab run madv-free --variant free --param regionBytes=512MiB', 'one variant, a bigger region'],
    ['rsslab run --all --quick --json > runs.json', 'every experiment; the Runs as one JSON document (schema rsslab.runs/1)'],
    ['rsslab run faiss-cycles --repeat 5 --format html', 'five repeats (medians and spread), only the HTML report'],
    ['sudo rsslab run thp-khugepaged --real --tune-system', 'each variant as replay and as the real C program it stands for'],
  ],
  validate: [
    ['sudo rsslab validate thp-khugepaged faiss-cycles --tune-system', 'each replay beside its real program; exit 1 when they disagree'],
    ['sudo rsslab validate --quick --tune-system', 'every experiment with a real counterpart, quick sizes'],
    ['rsslab validate madv-free --json > agreement.json', 'the agreement as JSON (schema rsslab.validate)'],
  ],
  list: [
    ['rsslab list', 'every experiment and its variants (* = default)'],
    ['rsslab list madv-free', 'one experiment: variants with what they need, parameters with defaults'],
    ['rsslab list --json | jq .experiments[].id', 'the same as JSON (schema rsslab.list/1)'],
  ],
  doctor: [
    ['rsslab doctor', 'kernel, THP, khugepaged, cgroups, root, allocators — and which default variants would be skipped'],
    ['rsslab doctor --json', 'the same as JSON (schema rsslab.doctor/1)'],
    ['rsslab doctor >/dev/null || echo "not every default variant can run here"', 'in a script: exit 0 all, 1 some skipped, 2 none'],
  ],
  restore: [['sudo rsslab restore', 'after a kill -9: put back every knob and remove every cgroup a dead run left']],
  watch: [
    ['rsslab watch -- node server.js', 'sample a command until it exits; Run and summary'],
    ['rsslab watch --pid 4242 --duration 60s', 'sample a running process for a minute'],
    ['rsslab watch --json -- ./batch > run.json', 'only the JSON on stdout; the program’s own output goes to stderr'],
    ["rsslab watch --mark-on-stdout '^phase (?<phase>\\w+)' --settle 5s --expect 'rss@start:settled <= 1.2 * rss@start:watch' -- ./job", 'phases from the program’s output, an expectation that sets the exit code'],
  ],
  compare: [
    ['rsslab compare baseline/ candidate/', 'regressions between two sets of Runs; exit 1 if any'],
    ['rsslab compare base/ cand/ --markdown "$GITHUB_STEP_SUMMARY"', 'and append the summary to the CI job page'],
    ['rsslab compare base/ cand/ --json', 'the comparison as JSON (schema rsslab.compare/1)'],
    ['rsslab compare --interleave base/ head/ --repeat 7 -- node dist/src/cli.js run madv-free --quick --out {out}', 'measure two checkouts alternately on this machine, then compare'],
  ],
  report: [
    ['rsslab report rsslab-runs/', 'redraw HTML, Markdown and CSV from saved Runs'],
    ['rsslab report old/thp-khugepaged.json --out /tmp/r --format html', 'one Run, only HTML, elsewhere'],
    ['rsslab report artifacts/ --matrix only', 'Runs from several machines (a CI matrix): only the cross-machine comparison'],
    ['rsslab report rsslab-runs/ --json', 'the files written and every expectation judged again, as JSON (schema rsslab.report/1)'],
  ],
  workshop: [
    ['sudo rsslab workshop thp-khugepaged --tune-system --step', 'a live page for a class; waits at every phase for Next'],
    ['rsslab workshop madv-free --host 0.0.0.0 --port 8080', 'reachable from other machines (the page says who can press Next)'],
  ],
};

export function examplesText(command: string): string {
  const list = EXAMPLES[command] ?? [];
  if (list.length === 0) return '';
  return `\nExamples:\n${list.map(([cmd, what]) => `  $ ${cmd}\n      ${what}`).join('\n')}\n`;
}
