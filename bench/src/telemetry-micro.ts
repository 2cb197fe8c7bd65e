/**
 * What the telemetry costs per request, in process (`node bench/dist/telemetry-micro.js`):
 *
 * - `baseline`: the guard with `telemetry: false`, or with `--baseline=<dir>` the `createGuard`
 *   of another build of `@resource-guard/core` (e.g. one built from a commit before telemetry
 *   existed: the honest zero);
 * - `no SDK`: the default (global providers) with none registered and no channel subscriber;
 * - `SDK, no-op export`: the OpenTelemetry SDK's meter provider (aggregating in memory, never
 *   exported) and tracer provider (every span sampled, handed to an exporter that drops it).
 *
 * Three requests: an HS256 JWT (a full verification), a request without credentials (the
 * cheapest rejection, where a fixed cost shows most) and a verified-token cache hit. Each run
 * interleaves `batches` batches of `iterations` calls of every variant and takes the median
 * per-batch CPU µs per call (through `runGuard()`, as the adapters call the guard); `--runs`
 * runs (default 3) are reported with the median of their medians. The added cost is the median
 * of the per-batch differences to the baseline.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createGuard as createCurrentGuard, type Guard, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { runGuard, type GuardHandover } from '@resource-guard/core/adapter';
import { median } from './stats.js';
import { positiveNumber, readArgs } from './args.js';

const ISSUER = 'https://as.example.test';
const AUDIENCE = 'https://api.example.test';
const SECRET = 'a-benchmark-secret-of-at-least-32-bytes!';

function hs256(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'HS256', typ: 'at+jwt' })}.${encode(claims)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}

const now = Math.floor(Date.now() / 1000);
const token = hs256({ iss: ISSUER, aud: AUDIENCE, sub: 'bench', client_id: 'bench', iat: now, exp: now + 3600, jti: 'x' });
const REQUESTS: Record<string, GuardRequest> = {
  'HS256 JWT': { method: 'GET', url: `${AUDIENCE}/`, headers: { authorization: `Bearer ${token}` } },
  'no credentials': { method: 'GET', url: `${AUDIENCE}/`, headers: {} },
  'cache hit': { method: 'GET', url: `${AUDIENCE}/`, headers: { authorization: `Bearer ${token}` } },
};

const dropSpans: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() };

function sdkTelemetry(): NonNullable<GuardOptions['telemetry']> {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000,
  });
  return {
    meterProvider: new MeterProvider({ readers: [reader] }),
    tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(dropSpans)] }),
  };
}

type CreateGuard = (options: GuardOptions) => Guard;

// The adapters' hand-over, with nothing to keep: what is measured is the guard's own work.
const handover: GuardHandover<undefined, undefined, undefined, void> = { keep() {}, setHeader() {}, next() {}, fail() {} };

function call(guard: Guard, request: GuardRequest): void {
  // A baseline built before `runGuard()` existed has the synchronous `authenticateNow()` instead.
  const authenticateNow = (guard as { authenticateNow?: (request: GuardRequest) => unknown }).authenticateNow;
  if (typeof authenticateNow !== 'function') {
    void runGuard(guard, request, { optional: false }, handover, undefined, undefined, undefined);
    return;
  }
  try {
    authenticateNow.call(guard, request);
  } catch {
    // The rejection is the result measured.
  }
}

/** CPU µs per call of `iterations` calls. */
function batch(guard: Guard, request: GuardRequest, iterations: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) call(guard, request);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2), {
    iterations: { type: 'string' }, batches: { type: 'string' }, runs: { type: 'string' }, baseline: { type: 'string' },
  });
  const iterations = positiveNumber(args, 'iterations', 20_000);
  const batches = positiveNumber(args, 'batches', 15);
  const runs = positiveNumber(args, 'runs', 3);
  const baselineDir = args.baseline;
  const createBaseline: CreateGuard = baselineDir === undefined
    ? (options) => createCurrentGuard({ ...options, telemetry: false })
    : (await import(pathToFileURL(path.resolve(baselineDir, 'dist/index.js')).href) as { createGuard: CreateGuard }).createGuard;
  const base: GuardOptions = { issuer: ISSUER, audience: AUDIENCE, secret: SECRET, algorithms: ['HS256'], logger: { warn() {}, error() {} } };
  const variants: Record<string, (cache: boolean) => Guard> = {
    baseline: (cache) => createBaseline({ ...base, verifiedTokenCache: cache }),
    'no SDK': (cache) => createCurrentGuard({ ...base, verifiedTokenCache: cache }),
    'SDK, no-op export': (cache) => createCurrentGuard({ ...base, verifiedTokenCache: cache, telemetry: sdkTelemetry() }),
  };
  console.log(`telemetry micro: ${runs} runs × ${batches} interleaved batches × ${iterations} calls; baseline ${baselineDir ?? 'telemetry: false'}; CPU µs per call`);
  for (const [label, request] of Object.entries(REQUESTS)) {
    const cache = label === 'cache hit';
    const perRun: Record<string, number[]> = {};
    for (let run = 0; run < runs; run += 1) {
      const guards = Object.fromEntries(Object.entries(variants).map(([name, make]) => [name, make(cache)]));
      const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
      for (const guard of Object.values(guards)) batch(guard, request, iterations); // warm-up
      for (let b = 0; b < batches; b += 1) {
        for (const [name, guard] of Object.entries(guards)) samples[name]!.push(batch(guard, request, iterations));
      }
      for (const name of Object.keys(variants)) {
        (perRun[name] ??= []).push(median(samples[name]!));
        if (name !== 'baseline') {
          (perRun[`${name} − baseline`] ??= []).push(median(samples[name]!.map((value, index) => value - samples.baseline![index]!)));
        }
      }
    }
    console.log(`\n${label}`);
    for (const [name, values] of Object.entries(perRun)) {
      console.log(`  ${name.padEnd(32)} ${values.map((value) => value.toFixed(3)).join('  ')}   median ${median(values).toFixed(3)}`);
    }
  }
}

await main();
