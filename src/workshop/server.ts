// The workshop's HTTP server (Node's own http): its page, its event stream, its "next" button, and
// nothing else. Loopback by default. Nothing is served without the session (src/workshop/auth.ts):
// the printed URL's ?token= once, then an HttpOnly SameSite=Strict cookie (all /events accepts).
// POST /next also needs the token in a JSON body, which a foreign page cannot send without a CORS
// preflight we never answer;
// every request's Host header must name this server, which defeats DNS rebinding on any --host.
// Event streams are capped: each is a socket and a write per update on the event loop the sampler
// shares, so a crowd of clients cannot slow the measurement.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowedHosts as hostsFor, hasSession, hostAllowed, sameToken, sessionCookie } from './auth.js';

const MAX_BODY_BYTES = 4096;
/** Open event streams at most: a classroom of projectors and laptops; the next one gets 503. */
export const MAX_EVENT_STREAMS = 64;
/** Sockets at most (streams, page loads, keep-alive); past this the kernel's accept is answered by a close. */
export const MAX_CONNECTIONS = 256;

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
  /** the URL to open: carries the session token once (the page then holds it as a cookie) */
  openUrl: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
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
  let allowedHosts: Set<string> = new Set();
  let boundPort = 0;
  let streams = 0;
  // the page is ~1 MB (ECharts inlined): encoded once, not per request
  let pageText: string | null = null;
  let pageBytes: Buffer = Buffer.alloc(0);
  const pageBody = (): Buffer => {
    const text = o.page();
    if (text !== pageText) {
      pageText = text;
      pageBytes = Buffer.from(text, 'utf8');
    }
    return pageBytes;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '', 'http://workshop.invalid');
    } catch {
      return reply(res, 400, { error: 'malformed request target' });
    }
    if (!hostAllowed(allowedHosts, req.headers.host)) {
      return reply(res, 403, { error: `this server answers to its own address only, not to Host "${req.headers.host ?? ''}": open the URL rsslab workshop printed` });
    }
    const unauthorised = (): void =>
      reply(res, 401, { error: 'no workshop session: open the URL rsslab workshop printed (it carries the session token)' }, { 'WWW-Authenticate': 'Cookie' });
    const method = req.method ?? '';
    switch (url.pathname) {
      case '/':
        if (method !== 'GET' && method !== 'HEAD') return reply(res, 405, { error: `${method} is not allowed on /: use GET` }, { Allow: 'GET, HEAD' });
        if (url.searchParams.has('token')) {
          if (!sameToken(url.searchParams.get('token'), o.token)) return unauthorised();
          // the token becomes a cookie and leaves the address bar (and the history, and screenshots)
          res.writeHead(303, { Location: '/', 'Set-Cookie': sessionCookie(o.token, boundPort), 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
          res.end();
          return;
        }
        if (!hasSession(req, o.token, boundPort)) return unauthorised();
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          'Content-Security-Policy': PAGE_CSP,
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
        });
        res.end(method === 'HEAD' ? undefined : pageBody());
        return;
      case '/events':
        if (method !== 'GET') return reply(res, 405, { error: `${method} is not allowed on /events: use GET` }, { Allow: 'GET' });
        // the cookie only: a token in this URL would land in proxy and access logs, and the page never sends one
        if (!hasSession(req, o.token, boundPort)) return reply(res, 403, { error: 'no workshop session: open the URL rsslab workshop printed, then this page' });
        if (streams >= MAX_EVENT_STREAMS) return reply(res, 503, { error: `already ${MAX_EVENT_STREAMS} pages open on this workshop: close one` }, { 'Retry-After': '5' });
        streams++;
        res.once('close', () => streams--);
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
  server.maxConnections = MAX_CONNECTIONS;
  // a client that sends its request slowly (or never) does not hold a socket for long
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  allowedHosts = hostsFor(o.host, addr.address, addr.port);
  boundPort = addr.port;
  const url = `http://${shownHost}:${addr.port}/`;
  return {
    server,
    url,
    openUrl: `${url}?token=${o.token}`,
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
