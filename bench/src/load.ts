/** The load generator: autocannon, programmatic, in the parent process. */
import { createRequire } from 'node:module';

// autocannon (CommonJS) ships no type declarations; the bench only calls its promise form.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<unknown>;

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Total requests; overrides `duration`. */
  amount?: number;
  /** Headers of every request when they do not change. */
  headers?: Record<string, string>;
  /** Seconds before autocannon counts a request as timed out (its default: 10). */
  timeout?: number;
  /** Headers per request (DPoP proofs, rotating tokens): called once for every request sent. */
  next?: () => Record<string, string>;
}

export interface LoadResult {
  /** Completed responses per second over the run: `requests.total / duration`. */
  rps: number;
  /** Mean latency in ms as autocannon measured it. */
  latencyMean: number;
  latencyP50: number;
  latencyP99: number;
  /** Slowest answer the client saw, ms. */
  latencyMax: number;
  total: number;
  non2xx: number;
  /** Connection errors and timeouts (autocannon counts each timeout as an error too). */
  errors: number;
  timeouts: number;
  duration: number;
  /** Responses per HTTP status. */
  statuses: Record<string, number>;
}

interface AutocannonResult {
  requests: { total: number };
  latency: { mean: number; p50: number; p99: number; max: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const base = {
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    timeout: options.timeout ?? 10,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 5 }),
  };
  const next = options.next;
  const settings = next === undefined
    ? { ...base, headers: options.headers ?? {} }
    : {
      ...base,
      requests: [{
        method: 'GET',
        path: new URL(options.url).pathname,
        setupRequest: (request: Record<string, unknown>) => ({ ...request, headers: next() }),
      }],
    };
  const result = (await autocannon(settings)) as AutocannonResult;
  const duration = result.duration;
  return {
    rps: result.requests.total / duration,
    latencyMean: result.latency.mean,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    duration,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count])),
  };
}
