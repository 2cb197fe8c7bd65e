/**
 * The introspection flood (a child of `run.ts`, or alone: `node --expose-gc dist/flood.js`):
 * `count` distinct unknown opaque tokens through `guard.verify()`, `concurrency` at a time, against
 * an in-process fake endpoint (the guard's `fetch` option) that answers `active: false` and counts
 * its calls. Inactive answers are cached for a long time here (worst case: nothing expires during
 * the flood), so only the store's entry bound keeps memory flat.
 *
 * Reports peak RSS (sampled every 50 ms), RSS and heap (after GC) once the store is full and at
 * the end, and the store's live entry count, counted exactly by probing the store with the hash of
 * every token sent (the key format the core documents: `introspection:` + base64url SHA-256).
 */
import { createHash } from 'node:crypto';
import { createGuard, createMemoryStore, isGuardError, type Guard, type Store } from '@resource-guard/core';
import { positiveNumber, readArgs } from './args.js';
import { AUDIENCE, INTROSPECTION_CLIENT } from './config.js';

export interface FloodResult {
  requested: number;
  sent: number;
  seconds: number;
  timedOut: boolean;
  concurrency: number;
  storeMax: number;
  introspectionCalls: number;
  storeSets: number;
  storeEntries: number | undefined;
  rejected401: number;
  otherOutcomes: number;
  rss: { start: number; storeFull: number | undefined; peak: number; end: number };
  heapAfterGc: { start: number; storeFull: number | undefined; end: number };
  /** At every tenth of the flood: tokens sent so far, RSS, heap used after a full GC. */
  series: Array<{ sent: number; rss: number; heapAfterGc: number }>;
  skipped?: string;
}

interface Settings {
  count: number;
  concurrency: number;
  storeMax: number;
  timeLimit: number;
}

function readSettings(argv: readonly string[]): Settings {
  const values = readArgs(argv, {
    count: { type: 'string' }, concurrency: { type: 'string' }, 'store-max': { type: 'string' }, 'time-limit': { type: 'string' },
  });
  return {
    count: positiveNumber(values, 'count', 1_000_000),
    concurrency: positiveNumber(values, 'concurrency', 64),
    storeMax: positiveNumber(values, 'store-max', 10_000),
    timeLimit: positiveNumber(values, 'time-limit', 120),
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapAfterGc(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

const runId = Date.now().toString(36);
const tokenAt = (index: number) => `flood_${runId}_${index.toString(36).padStart(8, '0')}`;

export async function runFlood(settings: Settings): Promise<FloodResult> {
  let introspectionCalls = 0;
  // Each answer waits for the event loop's check phase, as a network answer would: without it the
  // whole flood runs in microtasks, timers never fire (the guard's per-request timeout signals pile
  // up, and the RSS sampler never runs), which no real deployment would see.
  const fakeEndpoint: typeof fetch = async () => {
    introspectionCalls++;
    await new Promise<void>((resolve) => setImmediate(resolve));
    return new Response('{"active":false}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const memoryStore = createMemoryStore({ max: settings.storeMax });
  let storeSets = 0;
  const store: Store = {
    get: (key) => memoryStore.get(key),
    set: (key, value, ttl) => {
      storeSets++;
      return memoryStore.set(key, value, ttl);
    },
    add: (key, value, ttl) => memoryStore.add(key, value, ttl),
  };
  const base = {
    requested: settings.count, concurrency: settings.concurrency, storeMax: settings.storeMax,
  };
  let guard: Guard;
  try {
    guard = createGuard({
      issuer: 'https://as.bench.test',
      audience: AUDIENCE,
      jwksUri: 'https://as.bench.test/jwks',
      fetch: fakeEndpoint,
      store,
      introspection: {
        endpoint: 'https://as.bench.test/introspect', ...INTROSPECTION_CLIENT, cacheTtl: 600, inactiveCacheTtl: 600,
      },
    });
  } catch (error) {
    return {
      ...base, sent: 0, seconds: 0, timedOut: false, introspectionCalls: 0, storeSets: 0, storeEntries: undefined, rejected401: 0, otherOutcomes: 0,
      rss: { start: 0, storeFull: undefined, peak: 0, end: 0 }, heapAfterGc: { start: 0, storeFull: undefined, end: 0 }, series: [],
      skipped: `createGuard() rejected the introspection options: ${(error as Error).message}`,
    };
  }

  const rss = { start: process.memoryUsage().rss, storeFull: undefined as number | undefined, peak: 0, end: 0 };
  const heap = { start: heapAfterGc(), storeFull: undefined as number | undefined, end: 0 };
  const sample = () => {
    const current = process.memoryUsage().rss;
    if (current > rss.peak) rss.peak = current;
  };
  const sampler = setInterval(sample, 50);
  const started = process.hrtime.bigint();
  const deadline = Date.now() + settings.timeLimit * 1000;
  let next = 0;
  let rejected401 = 0;
  let otherOutcomes = 0;
  let timedOut = false;
  const series: FloodResult['series'] = [];
  const step = Math.max(1024, Math.floor(settings.count / 10 / 1024) * 1024);

  async function worker(): Promise<void> {
    while (next < settings.count) {
      if ((next & 1023) === 0) {
        if (Date.now() > deadline) {
          timedOut = true;
          return;
        }
        if (rss.storeFull === undefined && next >= settings.storeMax * 2) {
          rss.storeFull = process.memoryUsage().rss;
          heap.storeFull = heapAfterGc();
        }
        if (next > 0 && next % step === 0) series.push({ sent: next, rss: process.memoryUsage().rss, heapAfterGc: heapAfterGc() });
      }
      const token = tokenAt(next++);
      try {
        await guard.verify({ method: 'GET', url: 'https://api.bench.test/', headers: { authorization: `Bearer ${token}` } });
        otherOutcomes++;
      } catch (error) {
        if (isGuardError(error) && error.status === 401) rejected401++;
        else otherOutcomes++;
      }
    }
  }
  await Promise.all(Array.from({ length: settings.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  sample();
  rss.end = process.memoryUsage().rss;
  heap.end = heapAfterGc();

  // Exact live entry count: probe the store with every key the flood could have written.
  let storeEntries = 0;
  for (let index = 0; index < next; index++) {
    const key = `introspection:${createHash('sha256').update(tokenAt(index)).digest('base64url')}`;
    if (memoryStore.get(key) !== undefined) storeEntries++;
  }
  return {
    ...base, sent: next, seconds, timedOut, introspectionCalls, storeSets,
    // None found although entries were written: the core's key format changed; the count is unknown.
    storeEntries: storeEntries === 0 && storeSets > 0 ? undefined : storeEntries,
    rejected401, otherOutcomes, rss, heapAfterGc: heap, series,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runFlood(readSettings(process.argv.slice(2)));
  if (process.send !== undefined) process.send(result);
  else console.log(JSON.stringify(result, null, 2));
}
