// Who may use the workshop page. The page itself is the credential's holder, not its publisher: the
// URL the CLI prints carries the session token once (?token=…); the server answers it with an
// HttpOnly, SameSite=Strict cookie and a redirect to the bare page, so the token leaves the address
// bar and every later request (page, event stream) proves itself with the cookie. Without either,
// 401 — anyone who merely reaches the port sees nothing and cannot press Next. Every request's Host
// header must name this server (its bound address, a loopback name, or for a wildcard bind one of
// this machine's addresses or its hostname): a foreign name resolved to us (DNS rebinding) is 403.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/** Cookies are not kept per port: two workshops on one host each need their own name. */
export function cookieName(port: number): string {
  return `rsslab_workshop_${port}`;
}

/** Constant-time comparison of a presented token with the session's. */
export function sameToken(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The session cookie presented with the request, if any. */
export function cookieToken(req: IncomingMessage, port: number): string | null {
  const name = cookieName(port);
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Set-Cookie for the session: not readable by scripts, never sent by another site's requests. */
export function sessionCookie(token: string, port: number): string {
  return `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The request carries the session's cookie. */
export function hasSession(req: IncomingMessage, token: string, port: number): boolean {
  return sameToken(cookieToken(req, port), token);
}

function bracket(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * Host header values this server answers to. Always the loopback names; the bound address; for a
 * wildcard bind (0.0.0.0, ::) every address of this machine and its hostname; and the --host name
 * as the user gave it.
 */
export function allowedHosts(requestedHost: string, boundAddress: string, port: number): Set<string> {
  const names = new Set<string>(['127.0.0.1', 'localhost', '[::1]', bracket(boundAddress), bracket(requestedHost.replace(/^\[|\]$/g, ''))]);
  if (boundAddress === '0.0.0.0' || boundAddress === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(bracket(a.address.replace(/%.*$/, '')));
    names.add(hostname());
  }
  const out = new Set<string>();
  for (const n of names) {
    const lower = n.toLowerCase();
    out.add(`${lower}:${port}`);
    if (port === 80) out.add(lower);
  }
  return out;
}

export function hostAllowed(allowed: Set<string>, header: string | undefined): boolean {
  return header !== undefined && allowed.has(header.toLowerCase());
}
