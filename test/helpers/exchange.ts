/**
 * Token-exchange fixtures: a recording downstream API ("inventory", verifying its own audience
 * with a resource-guard guard) that keeps every request it receives, so tests can assert what was
 * sent downstream, and a way to verify a caller's token as the orders API does.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuard, type AuthContext, type Guard, type GuardOptions } from '@resource-guard/core';

/** One request the downstream received: everything a token could hide in. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the downstream's guard decided: the status it answered. */
  status: number;
}

/** A running recording downstream. */
export interface RecordingDownstream {
  url: string;
  guard: Guard;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the inventory API on a random loopback port; it answers 200 `{ sub, scope }` for a token its guard accepts. */
export async function startRecordingDownstream(options: GuardOptions): Promise<RecordingDownstream> {
  const guard = createGuard(options);
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record: RecordedRequest = {
        method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status: 0,
      };
      requests.push(record);
      guard.verify({ method: request.method!, url: `http://${request.headers.host!}${request.url!}`, headers: request.headers as Record<string, string> })
        .then((auth) => {
          record.status = 200;
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: auth.subject, scope: auth.scopes }));
        }, (error: { status: number; headers: Record<string, string> }) => {
          record.status = error.status;
          response.writeHead(error.status, error.headers).end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    guard,
    requests,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Verifies `token` with `guard` as an API would for `GET https://orders.example.test/orders`. */
export function verifyCaller(guard: Guard, token: string): Promise<AuthContext> {
  return guard.verify({ method: 'GET', url: 'https://orders.example.test/orders', headers: { authorization: `Bearer ${token}` } });
}

/** Whether `token` appears anywhere in `request` (URL, any header, body), also percent-encoded. */
export function carriesToken(request: RecordedRequest, token: string): boolean {
  const text = [request.url, decodeURIComponent(request.url), JSON.stringify(request.headers), request.body].join('\n');
  return text.includes(token) || text.includes(encodeURIComponent(token));
}
