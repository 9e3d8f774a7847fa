// The workshop server on a real session (a quick madv-free run with --step, held at its first phase
// boundary): what it answers, what it refuses, and where it listens.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkshop, type Workshop } from '../../src/workshop/session.js';
import { CHILD_MISSING } from '../report/real-run.js';

if (CHILD_MISSING) console.warn(`workshop server tests skipped: ${CHILD_MISSING}`);

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(ws: Workshop, method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ws.port, method, path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const json = { 'Content-Type': 'application/json' };

function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() > until) {
        clearInterval(t);
        reject(new Error('timed out waiting'));
      }
    }, 20);
  });
}

describe.skipIf(CHILD_MISSING !== null)('workshop server', () => {
  let ws: Workshop;
  let outDir: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'rsslab-workshop-http-'));
    ws = await startWorkshop({ experiments: ['madv-free'], variants: ['dontneed'], quick: true, step: true, outDir, command: ['vitest', 'test/workshop'] });
    await waitFor(() => ws.stepper.paused?.phase === 'map');
  }, 60_000);

  afterAll(async () => {
    await ws?.close();
    await ws?.done.catch(() => undefined);
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('server - listens on 127.0.0.1 only by default', async () => {
    expect(ws.host).toBe('127.0.0.1');
    expect(ws.url).toBe(`http://127.0.0.1:${ws.port}/`);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) {
      console.warn('no non-loopback IPv4 address on this machine: only the bound address was checked');
      return;
    }
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: external.address, port: ws.port });
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('server - the page is served (to the session only) with its token and no way to load anything else', async () => {
    expect((await http(ws, 'GET', '/')).status).toBe(401);
    const login = await http(ws, 'GET', `/?token=${ws.token}`);
    expect(login.status).toBe(303);
    const r = await http(ws, 'GET', '/', { headers: { Cookie: String(login.headers['set-cookie']).split(';')[0]! } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toContain(ws.token);
    // offline: ECharts is inlined, nothing is loaded from a URL
    expect(r.body).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    expect(r.body.length).toBeGreaterThan(500_000);
  });

  it('server - unknown paths are 404, whatever the method', async () => {
    for (const [method, path] of [['GET', '/report.html'], ['GET', '/../etc/passwd'], ['POST', '/nope'], ['GET', '/favicon.ico']] as const) {
      const r = await http(ws, method, path);
      expect(r.status, `${method} ${path}`).toBe(404);
    }
  });

  it('server - a wrong method is 405 with Allow', async () => {
    expect((await http(ws, 'POST', '/')).status).toBe(405);
    const get = await http(ws, 'GET', '/next');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await http(ws, 'DELETE', '/events')).status).toBe(405);
  });

  it('server - malformed /next bodies are 400, a missing or wrong token is 403, and none of them moves the run', async () => {
    expect((await http(ws, 'POST', '/next', { body: `token=${ws.token}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })).status).toBe(400);
    expect((await http(ws, 'POST', '/next', { body: '{"token": ', headers: json })).status).toBe(400);
    expect((await http(ws, 'POST', '/next', { body: '["x"]', headers: json })).status).toBe(400);
    expect((await http(ws, 'POST', '/next', { body: JSON.stringify({ token: ws.token, pad: 'x'.repeat(5000) }), headers: json })).status).toBe(400);
    expect((await http(ws, 'POST', '/next', { body: '{}', headers: json })).status).toBe(403);
    expect((await http(ws, 'POST', '/next', { body: JSON.stringify({ token: ws.token.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }), headers: json })).status).toBe(403);
    expect((await http(ws, 'GET', '/events')).status).toBe(403);
    expect((await http(ws, 'GET', '/events?token=nope')).status).toBe(403);
    // the right token in the URL is refused too: the page's cookie is what opens the stream
    expect((await http(ws, 'GET', `/events?token=${ws.token}`)).status).toBe(403);
    expect(ws.stepper.paused?.phase).toBe('map');
  });

  it('server - a page from a foreign Host name is refused (DNS rebinding)', async () => {
    const r = await http(ws, 'GET', '/', { headers: { Host: `attacker.example:${ws.port}` } });
    expect(r.status).toBe(403);
    expect((await http(ws, 'GET', '/', { headers: { Host: `localhost:${ws.port}` } })).status).toBe(401);
    expect((await http(ws, 'GET', `/?token=${ws.token}`, { headers: { Host: `attacker.example:${ws.port}` } })).status).toBe(403);
    expect((await http(ws, 'GET', `/?token=${ws.token}`, { headers: { Host: `localhost:${ws.port}` } })).status).toBe(303);
  });

  it('server - POST /next with the token moves the run to the next boundary; 409 when it is not waiting', async () => {
    const r = await http(ws, 'POST', '/next', { body: JSON.stringify({ token: ws.token }), headers: json });
    expect(r.status).toBe(200);
    // right after the 200 the run is not waiting any more (until the child reaches its next mark)
    const again = await http(ws, 'POST', '/next', { body: JSON.stringify({ token: ws.token }), headers: json });
    expect([200, 409]).toContain(again.status);
    if (again.status === 409) expect(JSON.parse(again.body).error).toMatch(/not waiting/);
    await waitFor(() => ws.stepper.paused !== null && ws.stepper.paused.phase !== 'map');
    expect(['touch', 'free']).toContain(ws.stepper.paused!.phase);
  });

  it('server - the event stream, opened with the page’s cookie, sends the state and the charts at once', async () => {
    const login = await http(ws, 'GET', `/?token=${ws.token}`);
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: ws.port, path: '/events', headers: { Cookie: cookie } }, (res) => {
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          if (body.includes('event: charts')) {
            req.destroy();
            resolve(body);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    const state = JSON.parse(/event: state\ndata: (.*)\n/.exec(text)![1]!);
    expect(state.step).toBe(true);
    expect(state.experiment.id).toBe('madv-free');
    expect(state.paused.variant).toBe('dontneed');
    const charts = JSON.parse(/event: charts\ndata: (.*)\n/.exec(text)![1]!);
    expect(charts.order[0]).toBe('x0-rss');
    expect(charts.charts[0].series[0].option.data.length).toBeGreaterThan(0);
  });
});
