/**
 * The fixed-rate load: requests sent at evenly spaced instants (an open loop), not in bursts.
 *
 * autocannon's `overallRate` gives each connection a budget per second and lets it spend that
 * budget back to back from the start of each second: at 400 req/s over 50 connections all 400
 * requests leave in the first ~150 ms of every second, queue in the server, and the p99 measures
 * that self-made queue (~200 ms on an idle server). This generator sends request i at
 * `start + i / rate` and measures each latency from that planned instant, so a stall on either
 * side shows as latency instead of being hidden by a late send (no coordinated omission).
 */
import http from 'node:http';
import type { LoadResult } from './load.js';
import { percentile } from './stats.js';

export interface PacedLoadOptions {
  url: string;
  /** Requests per second, spread evenly. */
  rate: number;
  /** Seconds of sending. */
  duration: number;
  /** Most requests in flight at once (keep-alive sockets); further sends wait for one. */
  connections: number;
  /** Headers of every request when they do not change. */
  headers?: Record<string, string>;
  /** Headers per request (DPoP proofs, rotating tokens): called once for every request sent. */
  next?: () => Record<string, string>;
  /** Seconds before an unanswered request counts as an error; default 10. */
  timeout?: number;
}

/** Sends `rate × duration` requests at evenly spaced instants; latencies of 2xx answers, in ms. */
export async function runPacedLoad(options: PacedLoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(options.url);
  const total = Math.max(1, Math.round(options.rate * options.duration));
  const spacingNs = 1e9 / options.rate;
  const timeoutMs = (options.timeout ?? 10) * 1000;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  let sent = 0;
  let settled = 0;
  const start = process.hrtime.bigint();

  const done = new Promise<void>((resolve) => {
    const send = (index: number) => {
      // One request settles once, whichever of its answer, error or timeout comes first.
      let over = false;
      const settle = () => {
        if (over) return;
        over = true;
        settled += 1;
        if (settled === total) resolve();
      };
      const planned = start + BigInt(Math.round(index * spacingNs));
      const headers = options.next?.() ?? options.headers ?? {};
      const request = http.request(url, { agent, headers, method: 'GET' }, (response) => {
        response.resume();
        response.once('end', () => {
          if (over) return;
          const status = response.statusCode ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) latencies.push(Number(process.hrtime.bigint() - planned) / 1e6);
          else non2xx += 1;
          settle();
        });
      });
      request.setTimeout(timeoutMs, () => {
        timeouts += 1;
        request.destroy(new Error('timeout'));
      });
      request.once('error', () => {
        if (!over) errors += 1;
        settle();
      });
      request.end();
    };
    // A 1 ms tick sends whatever has come due; at a few thousand req/s that is a handful per tick.
    const tick = () => {
      const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / spacingNs) + 1);
      while (sent < due) send(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  await done;
  const duration = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const mean = latencies.length === 0 ? Number.NaN : latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
  return {
    rps: (total - errors) / duration,
    latencyMean: mean,
    latencyP50: percentile(latencies, 0.5),
    latencyP99: percentile(latencies, 0.99),
    latencyMax: latencies.at(-1) ?? Number.NaN,
    total,
    non2xx,
    errors,
    timeouts,
    duration,
    statuses,
  };
}
