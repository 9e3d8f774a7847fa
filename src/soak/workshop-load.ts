// Soak area "workshop-load": a crowd on a real workshop server on 127.0.0.1 (its own process, a real
// run sampling a real child meanwhile). Connection attempts of every kind — the page with and without
// the session, foreign Host names, event streams held open for a while, Next with the token — with a
// bounded concurrency, until the count is reached or the deadline passes; it stops by itself. A
// failure: anything served without the session or to a foreign Host, more event streams open at
// once than the cap, the server gone or unresponsive afterwards, or its memory growing without bound.
// Runnable alone: node dist/src/soak/workshop-load.js [scale] [seed]
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distPath } from './dist-path.js';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { SoakArea } from './area.js';
import { readStatus } from '../probe/status.js';
import { seeded } from '../check/permutation.js';
import { MAX_EVENT_STREAMS } from '../workshop/server.js';

interface Answer {
  status: number;
  ms: number;
  headers: IncomingHttpHeaders;
  error?: string;
}

const REQUEST_TIMEOUT_MS = 20_000;

function ask(port: number, method: string, path: string, headers: Record<string, string>, body?: string, holdMs = 0, onOpen?: (open: boolean) => void): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Omit<Answer, 'ms'>): void => {
      if (done) return;
      done = true;
      resolve({ ...a, ms: performance.now() - t0 });
    };
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (holdMs > 0 && status === 200) {
        // an event stream: answered at once, then held open like a page would
        const answered = performance.now() - t0;
        res.resume();
        onOpen?.(true);
        setTimeout(() => {
          onOpen?.(false);
          req.destroy();
          done = true;
          resolve({ status, ms: answered, headers: res.headers });
        }, holdMs);
        return;
      }
      res.resume();
      res.on('end', () => finish({ status, headers: res.headers }));
      res.on('error', (e) => finish({ status, headers: res.headers, error: e.message }));
    });
    req.on('timeout', () => {
      req.destroy();
      finish({ status: 0, headers: {}, error: 'timeout' });
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ status: 0, headers: {}, error: e.code ?? e.message }));
    req.end(body);
  });
}

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

function rssOf(pid: number): number {
  try {
    return readStatus(pid).vmRssBytes;
  } catch {
    return 0; // the server is gone: counted as a failure elsewhere
  }
}


const MiB = 1 << 20;

export const workshopLoad: SoakArea = async (o) => {
  const attempts = Math.max(50, Math.round(2000 * o.scale));
  const concurrency = 100;
  const deadlineMs = 180_000;
  const random = seeded(o.seed);
  const work = mkdtempSync(join(tmpdir(), 'rsslab-soak-workshop-'));
  const entry = distPath('soak/workshop-load-server.js');
  const server = execa(process.execPath, [entry, work], { reject: false, stdin: 'ignore', stderr: 'pipe' });
  const failures: string[] = [];
  const figures: Record<string, number> = {};
  try {
    const info = await new Promise<{ port: number; token: string; pid: number }>((resolve, reject) => {
      let text = '';
      server.stdout!.on('data', (c: Buffer) => {
        text += c.toString();
        const nl = text.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(text.slice(0, nl)) as { port: number; token: string; pid: number });
      });
      void server.then((r) => reject(new Error(`the workshop server exited (${r.exitCode ?? r.signal}): ${String(r.stderr).slice(-400)}`)));
    });
    const { port, token, pid } = info;
    const host = { Host: `127.0.0.1:${port}` };
    const login = await ask(port, 'GET', `/?token=${token}`, host);
    const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0]!;
    if (login.status !== 303 || !cookie) throw new Error(`the printed URL did not give a session (HTTP ${login.status})`);
    const rssStart = rssOf(pid);
    let rssPeak = rssStart;
    const rssTimer = setInterval(() => {
      try {
        rssPeak = Math.max(rssPeak, rssOf(pid));
      } catch {
        /* gone: judged below */
      }
    }, 100);

    const counts = { accepted: 0, refused: 0, dropped: 0, streamsAccepted: 0, streamsRefused503: 0 };
    const pageMs: number[] = [];
    const nextMs: number[] = [];
    let openStreams = 0;
    let maxOpenStreams = 0;
    const t0 = performance.now();
    let issued = 0;

    const one = async (): Promise<void> => {
      const roll = random();
      if (roll < 0.2) {
        const a = await ask(port, 'GET', '/', { ...host, Cookie: cookie });
        if (a.status === 200) {
          counts.accepted++;
          pageMs.push(a.ms);
        } else if (a.status === 0) counts.dropped++;
        else failures.push(`the page with the session answered ${a.status}${a.error ? ` (${a.error})` : ''}`);
      } else if (roll < 0.35) {
        const a = await ask(port, 'GET', random() < 0.5 ? '/' : '/events', host);
        if (a.status === 200) failures.push('served without the session');
        else if (a.status === 0) counts.dropped++;
        else counts.refused++;
      } else if (roll < 0.45) {
        const a = await ask(port, 'GET', random() < 0.5 ? `/?token=${token}` : '/', { Host: `rebind.example:${port}`, Cookie: cookie });
        if (a.status === 200 || a.status === 303) failures.push(`a foreign Host was answered ${a.status}`);
        else if (a.status === 0) counts.dropped++;
        else counts.refused++;
      } else if (roll < 0.9) {
        const a = await ask(port, 'GET', '/events', { ...host, Cookie: cookie }, undefined, 500 + Math.floor(random() * 2500), (open) => {
          openStreams += open ? 1 : -1;
          maxOpenStreams = Math.max(maxOpenStreams, openStreams);
        });
        if (a.status === 200) counts.streamsAccepted++;
        else if (a.status === 503) counts.streamsRefused503++;
        else if (a.status === 0) counts.dropped++;
        else failures.push(`an event stream with the session answered ${a.status}`);
      } else {
        const a = await ask(port, 'POST', '/next', { ...host, Cookie: cookie, 'Content-Type': 'application/json' }, JSON.stringify({ token }));
        if (a.status === 200 || a.status === 409) {
          counts.accepted++;
          nextMs.push(a.ms);
        } else if (a.status === 0) counts.dropped++;
        else failures.push(`Next with the token answered ${a.status}`);
      }
    };

    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < attempts && performance.now() - t0 < deadlineMs) {
          issued++;
          await one();
        }
      }),
    );
    const elapsedMs = performance.now() - t0;
    clearInterval(rssTimer);
    // the server still answers, at once, after the crowd
    const after = await ask(port, 'GET', '/', { ...host, Cookie: cookie });
    if (after.status !== 200) failures.push(`after the load the page answered ${after.status}${after.error ? ` (${after.error})` : ''}`);
    const rssEnd = rssOf(pid);
    // closing a stream is seen by the server a moment after the client lets go: allow that overlap
    if (maxOpenStreams > MAX_EVENT_STREAMS + 8) failures.push(`${maxOpenStreams} event streams were open at once (cap ${MAX_EVENT_STREAMS})`);
    if (rssPeak - rssStart > 512 * MiB) failures.push(`the server grew by ${Math.round((rssPeak - rssStart) / MiB)} MiB under load`);
    if (issued < attempts) failures.push(`only ${issued} of ${attempts} attempts within ${deadlineMs} ms`);
    Object.assign(figures, {
      attempts: issued,
      accepted: counts.accepted + counts.streamsAccepted,
      refused: counts.refused + counts.streamsRefused503,
      dropped: counts.dropped,
      streamsAccepted: counts.streamsAccepted,
      streamsRefused503: counts.streamsRefused503,
      maxOpenStreams,
      pageP99Ms: Math.round(p99(pageMs)),
      nextP99Ms: Math.round(p99(nextMs)),
      serverRssStartBytes: rssStart,
      serverRssPeakBytes: rssPeak,
      serverRssEndBytes: rssEnd,
      elapsedMs: Math.round(elapsedMs),
    });
  } catch (e) {
    failures.push((e as Error).message);
  } finally {
    server.kill('SIGTERM');
    await server;
    rmSync(work, { recursive: true, force: true });
  }
  const f = figures;
  return {
    area: 'workshop-load',
    line:
      f.attempts === undefined
        ? `workshop-load: did not run: ${failures[0] ?? 'unknown'}`
        : `workshop-load: ${f.attempts} attempts (${concurrency} at a time) in ${(f.elapsedMs! / 1000).toFixed(1)} s: ${f.accepted} accepted, ${f.refused} refused (${f.streamsRefused503} of them event streams over the cap of ${MAX_EVENT_STREAMS}; at most ${f.maxOpenStreams} open at once), ${f.dropped} dropped; p99 page ${f.pageP99Ms} ms, Next ${f.nextP99Ms} ms; server RSS ${(f.serverRssStartBytes! / MiB).toFixed(0)} → peak ${(f.serverRssPeakBytes! / MiB).toFixed(0)} → ${(f.serverRssEndBytes! / MiB).toFixed(0)} MiB; ${failures.length} failures (seed ${o.seed})`,
    figures,
    ok: failures.length === 0,
    failures,
  };
};

// runnable alone: node dist/src/soak/workshop-load.js [scale] [seed]
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const scale = Number(process.argv[2] ?? 1);
  const seed = Number(process.argv[3] ?? Date.now() % 0x7fffffff);
  const r = await workshopLoad({ scale, seed, log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(r.line + '\n' + r.failures.slice(0, 20).map((x) => `  ✗ ${x}\n`).join(''));
  process.exitCode = r.ok ? 0 : 1;
}
