// Issue 13 item 6 against a real workshop server on 127.0.0.1 (its own page and event hub, no run):
// nothing without the session, the token traded once for an HttpOnly SameSite=Strict cookie, Host
// checked on every request, and event streams capped.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkshopServer, MAX_EVENT_STREAMS, type WorkshopServer } from '../../src/workshop/server.js';
import { SseHub } from '../../src/workshop/sse.js';
import { allowedHosts } from '../../src/workshop/auth.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const TOKEN = 'a'.repeat(48);
const PAGE = `<!doctype html><title>w</title><script type="application/json">{"token":"${TOKEN}"}</script>`;

function http(s: WorkshopServer, method: string, path: string, o: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method, path, headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Open an event stream; resolves with its status and a way to close it. */
function openStream(s: WorkshopServer, headers: Record<string, string>): Promise<{ status: number; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, path: '/events', headers, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('workshop server - session and Host', () => {
  let s: WorkshopServer;
  let hub: SseHub;
  let nexts = 0;
  let cookie = '';

  beforeAll(async () => {
    hub = new SseHub(() => {});
    s = await startWorkshopServer({ host: '127.0.0.1', port: 0, token: TOKEN, page: () => PAGE, events: (res) => void hub.open(res), next: () => (nexts++, true) });
  });
  afterAll(async () => {
    hub.closeAll();
    await s.close();
  });

  it('workshop auth - GET / without the session is 401 and shows no token', async () => {
    const r = await http(s, 'GET', '/');
    expect(r.status).toBe(401);
    expect(r.body).not.toContain(TOKEN);
    expect(r.body).toMatch(/open the URL rsslab workshop printed/);
    expect((await http(s, 'GET', '/?token=' + 'b'.repeat(48))).status).toBe(401);
    expect((await http(s, 'GET', '/', { headers: { Cookie: `rsslab_workshop_${s.port}=${'b'.repeat(48)}` } })).status).toBe(401);
  });

  it('workshop auth - the printed URL trades its token for an HttpOnly SameSite=Strict cookie and a redirect to the bare page', async () => {
    expect(s.openUrl).toBe(`http://127.0.0.1:${s.port}/?token=${TOKEN}`);
    const r = await http(s, 'GET', `/?token=${TOKEN}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const set = String(r.headers['set-cookie']);
    // named per port: cookies are not kept per port, and two workshops on one host must not log each other out
    expect(set).toMatch(new RegExp(`^rsslab_workshop_${s.port}=${TOKEN};`));
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    cookie = set.split(';')[0]!;
    const page = await http(s, 'GET', '/', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toBe(PAGE);
  });

  it('workshop auth - the event stream opens with the cookie alone; the token in its URL (what proxies log) opens nothing', async () => {
    const withCookie = await openStream(s, { Cookie: cookie });
    expect(withCookie.status).toBe(200);
    withCookie.close();
    expect((await http(s, 'GET', '/events')).status).toBe(403);
    const inUrl = await http(s, 'GET', `/events?token=${TOKEN}`);
    expect(inUrl.status).toBe(403);
    expect(inUrl.body).not.toContain(TOKEN);
    expect(JSON.parse(inUrl.body).error).toMatch(/open the URL rsslab workshop printed/);
  });

  it('workshop auth - Next needs the token in its JSON body, a cookie alone (a cross-site form) is not enough', async () => {
    const before = nexts;
    expect((await http(s, 'POST', '/next', { body: '{}', headers: { 'Content-Type': 'application/json', Cookie: cookie } })).status).toBe(403);
    expect(nexts).toBe(before);
    expect((await http(s, 'POST', '/next', { body: JSON.stringify({ token: TOKEN }), headers: { 'Content-Type': 'application/json', Cookie: cookie } })).status).toBe(200);
    expect(nexts).toBe(before + 1);
  });

  it('workshop auth - a foreign Host is 403 on every path, even with the session (DNS rebinding)', async () => {
    const foreign = { Host: `attacker.example:${s.port}`, Cookie: cookie, 'Content-Type': 'application/json' };
    for (const [method, path, body] of [['GET', `/?token=${TOKEN}`, undefined], ['GET', '/', undefined], ['GET', '/events', undefined], ['POST', '/next', JSON.stringify({ token: TOKEN })]] as const) {
      const r = await http(s, method, path, { headers: foreign, ...(body ? { body } : {}) });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body).not.toContain(TOKEN);
    }
    expect((await http(s, 'GET', '/', { headers: { Host: `localhost:${s.port}`, Cookie: cookie } })).status).toBe(200);
  });

  it(`workshop auth - at most ${MAX_EVENT_STREAMS} event streams; the next is 503 until one closes`, async () => {
    const streams = [];
    for (let i = 0; i < MAX_EVENT_STREAMS; i++) streams.push(await openStream(s, { Cookie: cookie }));
    expect(streams.every((x) => x.status === 200)).toBe(true);
    expect(hub.size).toBe(MAX_EVENT_STREAMS);
    const over = await openStream(s, { Cookie: cookie });
    expect(over.status).toBe(503);
    over.close();
    streams[0]!.close();
    // the server counts the stream closed when its socket closes
    for (let i = 0; i < 100 && hub.size >= MAX_EVENT_STREAMS; i++) await new Promise((r) => setTimeout(r, 10));
    const again = await openStream(s, { Cookie: cookie });
    expect(again.status).toBe(200);
    for (const x of [...streams, again]) x.close();
  });
});

describe('workshop server - which Host names a bind answers to', () => {
  it('allowedHosts - a wildcard bind answers to loopback, this machine\'s addresses and hostname, never to a foreign name', () => {
    const set = allowedHosts('0.0.0.0', '0.0.0.0', 8080);
    expect(set.has('127.0.0.1:8080')).toBe(true);
    expect(set.has('localhost:8080')).toBe(true);
    expect(set.has('attacker.example:8080')).toBe(false);
    expect(set.has('127.0.0.1:8081')).toBe(false);
  });
  it('allowedHosts - a named --host answers to that name and the bound address only (plus loopback)', () => {
    const set = allowedHosts('lab.example', '192.0.2.7', 9000);
    expect([...set].sort()).toEqual(['127.0.0.1:9000', '192.0.2.7:9000', '[::1]:9000', 'lab.example:9000', 'localhost:9000']);
  });
});
