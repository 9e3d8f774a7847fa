// Server-sent events over Node's own http: one long response per page, "event: <name>\ndata: <json>\n\n".
// A page that cannot keep up (its socket buffer full) is not queued behind: it skips updates until
// the socket drains, then gets the whole picture again, so a slow projector laptop never lags further
// and further behind the run.
import type { ServerResponse } from 'node:http';

const KEEPALIVE_MS = 15_000;

export interface SseClient {
  send(event: string, data: unknown): void;
  /** `json` already serialised (one serialisation for every page) */
  sendJson(event: string, json: string): void;
  /** the page missed updates while its socket was full: it needs everything again */
  readonly stale: boolean;
  markFresh(): void;
}

export class SseHub {
  private readonly clients = new Set<{ res: ServerResponse; client: SseClient }>();
  private readonly keepalive: NodeJS.Timeout;

  constructor(private readonly onDrainStale: (client: SseClient) => void) {
    // comments keep proxies and idle-timeouts from closing a quiet stream (a long step pause)
    this.keepalive = setInterval(() => {
      for (const c of this.clients) c.res.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Take over a response as an event stream; returns the client to send the first picture to. */
  open(res: ServerResponse): SseClient {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    let congested = false;
    let stale = false;
    const client: SseClient = {
      send(event, data) {
        client.sendJson(event, JSON.stringify(data));
      },
      sendJson(event, json) {
        if (congested) {
          stale = true;
          return;
        }
        // JSON.stringify never emits a raw newline, so the data is one "data:" line
        if (!res.write(`event: ${event}\ndata: ${json}\n\n`)) congested = true;
      },
      get stale() {
        return stale;
      },
      markFresh() {
        stale = false;
      },
    };
    res.on('drain', () => {
      congested = false;
      if (stale) this.onDrainStale(client);
    });
    const entry = { res, client };
    this.clients.add(entry);
    res.on('close', () => this.clients.delete(entry));
    // the browser reconnects by itself after a dropped stream; 1 s is enough on loopback
    res.write('retry: 1000\n\n');
    return client;
  }

  broadcast(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const json = JSON.stringify(data);
    for (const { client } of this.clients) client.sendJson(event, json);
  }

  /** End every stream (the server is closing). */
  closeAll(): void {
    clearInterval(this.keepalive);
    for (const { res } of this.clients) res.end();
    this.clients.clear();
  }
}
