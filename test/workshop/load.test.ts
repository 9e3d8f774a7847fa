// The workshop-load soak area at a small scale: a real session in its own process, a crowd of mixed
// clients on 127.0.0.1; nothing served without the session or to a foreign Host, the stream cap held.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workshopLoad } from '../../src/soak/workshop-load.js';
import { MAX_EVENT_STREAMS } from '../../src/workshop/server.js';
import { CHILD_MISSING } from '../report/real-run.js';

const SERVER_JS = fileURLToPath(new URL('../../dist/src/soak/workshop-load-server.js', import.meta.url));
const skip = CHILD_MISSING ?? (existsSync(SERVER_JS) ? null : `${SERVER_JS} is missing: run \`npm run build\` first`);
if (skip) console.warn(`workshop load test skipped: ${skip}`);

describe.skipIf(skip !== null)('workshop under load', () => {
  it('workshop load - 300 mixed clients: all judged, none served without the session, at most the cap of streams open', async () => {
    const r = await workshopLoad({ scale: 0.15, seed: 1234, log: () => {} });
    console.log(r.line);
    expect(r.failures).toEqual([]);
    expect(r.figures.attempts).toBe(300);
    expect(r.figures.accepted! + r.figures.refused! + r.figures.dropped!).toBe(300);
    expect(r.figures.maxOpenStreams).toBeLessThanOrEqual(MAX_EVENT_STREAMS + 8);
    expect(r.ok).toBe(true);
  }, 120_000);
});
