// Child for thp.test.ts: print our pid, then become `sh` with THP disabled through execWithThp.
// The shell prints its own pid and THP_enabled, proving the same process now runs sh with the flag kept.
import { execWithThp } from '../../../src/core/thp.js';

process.stdout.write(`node-pid=${process.pid}\n`);
execWithThp('sh', ['sh', '-c', 'echo "sh-pid=$$"; grep THP_enabled /proc/self/status; echo "marker=$RSSLAB_MARKER"'], { PATH: process.env['PATH'], RSSLAB_MARKER: 'kept' }, { thpDisabled: true });
