/**
 * The soak run's verdict and table. The API fails the soak when it answers anything but 200,
 * holds a request for the client's whole timeout (a stall: measured in the server, from arrival to
 * close), or its heap after GC grows past the bound. Requests the client saw unanswered while the
 * server held none that long are reported next to the bare-app control round: on a saturated
 * 2-core machine a closed loop of 200 connections starves some of them whatever the server does.
 */
import type { LatencyReport } from './latency-probe.js';
import type { LoadResult } from './load.js';

/** autocannon's request timeout in the soak, ms. */
const CLIENT_TIMEOUT_MS = 10_000;

export interface SoakSample {
  second: number;
  load: LoadResult;
  rss: number;
  heap: number;
  server: LatencyReport | undefined;
  generatorDelayMs: number;
}

export interface SoakInput {
  samples: readonly SoakSample[];
  control: LoadResult;
  heapGrowthMb: number;
  introspectionCalls: number;
  opaqueTokens: number;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function slowest(report: LatencyReport | undefined): string {
  return (['jwt', 'opaque', 'dpop'] as const).map((kind) => report?.kinds[kind]?.maxMs.toFixed(0) ?? '–').join(' / ');
}

export function judgeSoak(input: SoakInput): { ok: boolean; lines: string[] } {
  const { samples, control, heapGrowthMb } = input;
  const [baseline, ...rounds] = samples;
  const last = samples.at(-1)!;
  const statuses: Record<string, number> = {};
  let requests = 0;
  let timeouts = 0;
  let otherErrors = 0;
  for (const { load } of rounds) {
    for (const [status, count] of Object.entries(load.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    requests += load.total;
    timeouts += load.timeouts;
    otherErrors += load.errors - load.timeouts;
  }
  const non2xx = rounds.reduce((sum, { load }) => sum + load.non2xx, 0);
  const heldMaxMs = Math.max(...rounds.map(({ server }) => server?.heldMaxMs ?? Number.POSITIVE_INFINITY));
  const growth = (last.heap - baseline!.heap) / 1024 / 1024;
  const peakRss = Math.max(...samples.map((sample) => sample.rss));
  const stalled = heldMaxMs >= CLIENT_TIMEOUT_MS;
  const ok = rounds.length > 0 && non2xx === 0 && otherErrors === 0 && !stalled && growth <= heapGrowthMb;
  const lines = [
    'Slowest answers are measured in the server, from arrival to the end of the response; "held" is the longest a request',
    'stayed in the server, answered or not. Loop delays: the largest event-loop delay of the server and of the load generator',
    '(autocannon, the DPoP proof signing and the mock authorization server share one process). The first row is the warm-up.',
    '',
    '| t (s) | answered | unanswered in 10 s (client) | received by the server | slowest JWT / opaque / DPoP (ms) | held (ms) | client max (ms) | server loop delay (ms) | generator loop delay (ms) | RSS (MB) | heap after GC (MB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...samples.map(({ second, load, server, generatorDelayMs, rss, heap }) => `| ${second} | ${load.total} | ${load.timeouts} | ${server?.received ?? '–'} `
      + `| ${slowest(server)} | ${server?.heldMaxMs.toFixed(0) ?? '–'} | ${load.latencyMax.toFixed(0)} | ${server?.loopDelayMaxMs.toFixed(0) ?? '–'} `
      + `| ${generatorDelayMs.toFixed(0)} | ${mb(rss)} | ${mb(heap)} |`),
    '',
    `Control, the same 200 connections on a bare Express app for 10 s: ${control.total} answered, ${control.timeouts} unanswered in 10 s, client max ${control.latencyMax.toFixed(0)} ms.`,
    `After warm-up: ${requests} answered (by status: ${JSON.stringify(statuses)}); ${timeouts} unanswered in 10 s by the client's clock, while the server held no request longer than ${heldMaxMs.toFixed(0)} ms`
      + `${stalled ? ' (**a stall in the API**)' : ''}; other connection errors: ${otherErrors}; introspection calls: ${input.introspectionCalls} for ${input.opaqueTokens} opaque tokens;`,
    `heap after GC ${mb(baseline!.heap)} → ${mb(last.heap)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB, bound ${heapGrowthMb} MB); peak RSS ${mb(peakRss)} MB → **${ok ? 'passed' : 'FAILED'}**.`,
  ];
  return { ok, lines };
}
