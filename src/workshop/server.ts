// The workshop's HTTP server (Node's own http): its page, its event stream, its "next" button, and
// nothing else. Loopback by default. Two guards keep other pages in the same browser from driving a
// session: POST /next needs the session's token (only our own page has it) as JSON, which a foreign
// page cannot send without a CORS preflight we never answer; and on loopback the Host header must
// name loopback, which defeats DNS rebinding (a foreign name resolved to 127.0.0.1).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

const MAX_BODY_BYTES = 4096;

export interface WorkshopServerOptions {
  host: string;
  port: number;
  token: string;
  /** the page's HTML (rendered once per request: it is small apart from the inlined ECharts) */
  page: () => string;
  /** hand the response over as an event stream */
  events: (res: ServerResponse) => void;
  /** the presenter clicked "Next": false when the run is not waiting */
  next: () => boolean;
}

export interface WorkshopServer {
  server: Server;
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function sameToken(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(text);
}

// The page runs only its own inline scripts and talks only to us.
const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      // past the limit the rest is read and dropped, so the client still gets its 400
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

export async function startWorkshopServer(o: WorkshopServerOptions): Promise<WorkshopServer> {
  let allowedHosts: Set<string> | null = null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '', 'http://workshop.invalid');
    } catch {
      return reply(res, 400, { error: 'malformed request target' });
    }
    if (allowedHosts && !allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      return reply(res, 403, { error: `this page is served to ${[...allowedHosts][0]} only (Host header "${req.headers.host ?? ''}")` });
    }
    const method = req.method ?? '';
    switch (url.pathname) {
      case '/':
        if (method !== 'GET' && method !== 'HEAD') return reply(res, 405, { error: `${method} is not allowed on /: use GET` }, { Allow: 'GET, HEAD' });
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          'Content-Security-Policy': PAGE_CSP,
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
        });
        res.end(method === 'HEAD' ? undefined : o.page());
        return;
      case '/events':
        if (method !== 'GET') return reply(res, 405, { error: `${method} is not allowed on /events: use GET` }, { Allow: 'GET' });
        if (!sameToken(url.searchParams.get('token'), o.token)) return reply(res, 403, { error: 'missing or wrong session token: reload the page the workshop printed' });
        o.events(res);
        return;
      case '/next': {
        if (method !== 'POST') return reply(res, 405, { error: `${method} is not allowed on /next: use POST` }, { Allow: 'POST' });
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'application/json') return reply(res, 400, { error: 'expected a JSON body (Content-Type: application/json) with the session token' });
        const body = await readBody(req);
        if (body === null) return reply(res, 400, { error: `the body must be a JSON object under ${MAX_BODY_BYTES} bytes` });
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return reply(res, 400, { error: 'the body is not valid JSON' });
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reply(res, 400, { error: 'the body must be a JSON object: {"token": "…"}' });
        if (!sameToken((parsed as { token?: unknown }).token, o.token)) return reply(res, 403, { error: 'missing or wrong session token' });
        return o.next() ? reply(res, 200, { ok: true }) : reply(res, 409, { error: 'the run is not waiting at a phase boundary' });
      }
      default:
        return reply(res, 404, { error: `nothing at ${url.pathname}` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: (e as Error).message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  if (isLoopbackHost(o.host) || isLoopbackHost(addr.address)) {
    allowedHosts = new Set([`${shownHost}:${addr.port}`, `127.0.0.1:${addr.port}`, `localhost:${addr.port}`, `[::1]:${addr.port}`]);
  }
  return {
    server,
    url: `http://${shownHost}:${addr.port}/`,
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
