/**
 * Server-side latency per credential kind, for the soak run: the time from a request's arrival
 * to its response's end, and the server's event-loop delay. When the client reports a request
 * unanswered for 10 s while the server's slowest answer took far less, the load generator (or
 * the machine), not the API, stalled.
 */
import type http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The credential kinds the soak sends, told apart by the Authorization header alone. */
export type CredentialKind = 'jwt' | 'opaque' | 'dpop' | 'none';

/** One kind's figures since the last read. */
export interface KindLatency {
  count: number;
  /** Slowest answer, ms. */
  maxMs: number;
  /** Answers that took longer than 1 s. */
  overOneSecond: number;
  /** Responses begun but not finished: the client closed the connection first (10 s timeout). */
  unfinished: number;
}

/** What {@link LatencyProbe.read} returns; every figure since the previous read. */
export interface LatencyReport {
  kinds: Partial<Record<CredentialKind, KindLatency>>;
  /** Largest event-loop delay of the server, ms. */
  loopDelayMaxMs: number;
  /** Requests that reached the server (its `request` event), answered or not. */
  received: number;
  /** Requests whose response the server started but did not finish (the client went away). */
  unfinished: number;
  /** Longest a request was held, finished or not, ms: what a stall in the API would show. */
  heldMaxMs: number;
}

export function credentialKind(authorization: string | undefined): CredentialKind {
  if (authorization === undefined) return 'none';
  if (authorization.startsWith('DPoP ')) return 'dpop';
  return authorization.split('.').length === 3 ? 'jwt' : 'opaque';
}

export interface LatencyProbe {
  wrap(listener: http.RequestListener): http.RequestListener;
  read(): LatencyReport;
}

export function createLatencyProbe(): LatencyProbe {
  let kinds: Partial<Record<CredentialKind, KindLatency>> = {};
  let received = 0;
  let unfinished = 0;
  let heldMaxMs = 0;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  return {
    wrap: (listener) => function measured(req, res) {
      const started = process.hrtime.bigint();
      const kind = credentialKind(req.headers.authorization);
      received += 1;
      const entryOf = () => kinds[kind] ??= { count: 0, maxMs: 0, overOneSecond: 0, unfinished: 0 };
      res.once('close', () => {
        heldMaxMs = Math.max(heldMaxMs, Number(process.hrtime.bigint() - started) / 1e6);
        if (res.writableFinished) return;
        unfinished += 1;
        entryOf().unfinished += 1;
      });
      res.once('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const entry = entryOf();
        entry.count += 1;
        if (ms > entry.maxMs) entry.maxMs = ms;
        if (ms > 1000) entry.overOneSecond += 1;
      });
      listener(req, res);
    },
    read() {
      const report = { kinds, loopDelayMaxMs: loop.max / 1e6, received, unfinished, heldMaxMs };
      kinds = {};
      received = 0;
      unfinished = 0;
      heldMaxMs = 0;
      loop.reset();
      return report;
    },
  };
}
