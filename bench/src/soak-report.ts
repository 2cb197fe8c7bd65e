/**
 * The soak run's verdict and table. The API fails the soak when it answers anything but 200,
 * holds a request for the client's whole timeout (a stall: measured in the server, from arrival to
 * close), or its heap after GC leaves its bounds: judged as a plateau, not as a fixed budget. The
 * memory store keeps DPoP replay markers until its `maxMarkers` bound is reached (it then sweeps
 * the expired ones from the front), so the heap grows while markers accumulate, whatever the
 * machine's speed. Once at least `maxMarkers` proofs were sent and the replay window has passed,
 * the markers are at their bound: from then to the end of the run the heap must stay flat (within
 * `plateauGrowthMb`), and its whole growth must stay within what the configured bounds allow
 * (markers × their size + the cache's entries × the largest entry's size). Requests the client saw
 * unanswered while the server held none that long are reported next to the bare-app control
 * round: on a saturated 2-core machine a closed loop of 200 connections starves some of them
 * whatever the server does.
 */
import type { LatencyReport } from './latency-probe.js';
import type { LoadResult } from './load.js';

/** autocannon's request timeout in the soak, ms. */
const CLIENT_TIMEOUT_MS = 10_000;

/**
 * Heap bytes per store entry, as `memory.ts` measures them (bench/README.md, "Memory per cached
 * entry"): a DPoP replay marker, and a verified-token entry (the largest cache entry).
 */
const MARKER_BYTES = 291;
const LARGEST_ENTRY_BYTES = 933;
/** The memory store's default LRU bound (`createMemoryStore` `max`), which the soak keeps. */
const CACHE_ENTRIES = 10_000;
/** Heap the run may add besides the store: compiled code, connection state for the load's sockets, the proof-header and key caches. */
const OTHER_ALLOWANCE_MB = 8;

export interface SoakSample {
  second: number;
  load: LoadResult;
  rss: number;
  heap: number;
  server: LatencyReport | undefined;
  generatorDelayMs: number;
  /** DPoP proofs sent since the start (warm-up included). */
  proofsSent: number;
}

export interface SoakInput {
  samples: readonly SoakSample[];
  control: LoadResult;
  introspectionCalls: number;
  opaqueTokens: number;
  /** The guard's DPoP replay window, seconds (markers live this long). */
  replayWindow: number;
  /** The memory store's `maxMarkers`. */
  maxMarkers: number;
  /** Largest heap growth accepted once the markers are at their bound, MB. */
  plateauGrowthMb: number;
  roundSeconds: number;
  connections: number;
}

/** What the configured bounds let the heap grow by, MB: markers, cache entries, the rest. */
export function heapBoundMb(maxMarkers: number): { markers: number; caches: number; other: number; total: number } {
  const markers = (maxMarkers * MARKER_BYTES) / 1024 / 1024;
  const caches = (CACHE_ENTRIES * LARGEST_ENTRY_BYTES) / 1024 / 1024;
  return { markers, caches, other: OTHER_ALLOWANCE_MB, total: markers + caches + OTHER_ALLOWANCE_MB };
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function slowest(report: LatencyReport | undefined): string {
  return (['jwt', 'opaque', 'dpop'] as const).map((kind) => report?.kinds[kind]?.maxMs.toFixed(0) ?? '–').join(' / ');
}

export function judgeSoak(input: SoakInput): { ok: boolean; lines: string[] } {
  const { samples, control, maxMarkers, replayWindow, plateauGrowthMb } = input;
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
  const bound = heapBoundMb(maxMarkers);
  // The markers are at their bound once maxMarkers proofs were sent and the first ones have expired.
  const plateauStart = rounds.findIndex((sample) => sample.proofsSent >= maxMarkers && sample.second >= replayWindow);
  const plateau = plateauStart < 0 ? [] : rounds.slice(plateauStart);
  const judged = plateau.length >= 2;
  const plateauGrowth = judged ? (last.heap - plateau[0]!.heap) / 1024 / 1024 : Number.NaN;
  const flat = judged && plateauGrowth <= plateauGrowthMb;
  const withinBound = growth <= bound.total;
  const ok = rounds.length > 0 && non2xx === 0 && otherErrors === 0 && !stalled && flat && withinBound;
  const plateauLine = judged
    ? `plateau from t = ${plateau[0]!.second} s (${plateau[0]!.proofsSent} proofs sent, replay window ${replayWindow} s): heap after GC ${mb(plateau[0]!.heap)} → ${mb(last.heap)} MB `
      + `(${plateauGrowth >= 0 ? '+' : ''}${plateauGrowth.toFixed(1)} MB, at most +${plateauGrowthMb} MB)${flat ? '' : ' (**still growing**)'}`
    : `**no plateau to judge**: the markers reach their bound after ${maxMarkers} proofs and ${replayWindow} s, and two rounds must follow (${last.proofsSent} proofs were sent in ${last.second} s): `
      + 'run longer, or lower --max-markers';
  const lines = [
    'Slowest answers are measured in the server, from arrival to the end of the response; "held" is the longest a request',
    'stayed in the server, answered or not. Loop delays: the largest event-loop delay of the server and of the load generator',
    '(autocannon, the DPoP proof signing and the mock authorization server share one process). The first row is the warm-up.',
    '',
    '| t (s) | answered | unanswered in 10 s (client) | received by the server | proofs sent | slowest JWT / opaque / DPoP (ms) | held (ms) | client max (ms) | server loop delay (ms) | generator loop delay (ms) | RSS (MB) | heap after GC (MB) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...samples.map(({ second, load, server, generatorDelayMs, rss, heap, proofsSent }) => `| ${second} | ${load.total} | ${load.timeouts} | ${server?.received ?? '–'} | ${proofsSent} `
      + `| ${slowest(server)} | ${server?.heldMaxMs.toFixed(0) ?? '–'} | ${load.latencyMax.toFixed(0)} | ${server?.loopDelayMaxMs.toFixed(0) ?? '–'} `
      + `| ${generatorDelayMs.toFixed(0)} | ${mb(rss)} | ${mb(heap)} |`),
    '',
    `Control, the same ${input.connections} connections on a bare Express app for ${input.roundSeconds} s: ${control.total} answered, ${control.timeouts} unanswered in 10 s, client max ${control.latencyMax.toFixed(0)} ms.`,
    `After warm-up: ${requests} answered (by status: ${JSON.stringify(statuses)}); ${timeouts} unanswered in 10 s by the client's clock, while the server held no request longer than ${heldMaxMs.toFixed(0)} ms`
      + `${stalled ? ' (**a stall in the API**)' : ''}; other connection errors: ${otherErrors}; introspection calls: ${input.introspectionCalls} for ${input.opaqueTokens} opaque tokens;`,
    `heap after GC ${mb(baseline!.heap)} → ${mb(last.heap)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB; the configured bounds allow +${bound.total.toFixed(1)} MB: `
      + `${maxMarkers} markers × ${MARKER_BYTES} B = ${bound.markers.toFixed(1)} MB, ${CACHE_ENTRIES} cache entries × ${LARGEST_ENTRY_BYTES} B = ${bound.caches.toFixed(1)} MB, `
      + `${bound.other} MB other)${withinBound ? '' : ' (**over the bound**)'};`,
    `${plateauLine}; peak RSS ${mb(peakRss)} MB → **${ok ? 'passed' : 'FAILED'}**.`,
    // The memory store answers 503 once maxMarkers markers are live: the bound is below proofs per second × window.
    ...(statuses['503'] === undefined ? [] : [`${statuses['503']} answers were 503: more DPoP markers were live than --max-markers allows (proofs per second × the replay window); raise it or shorten --replay-window.`]),
  ];
  return { ok, lines };
}
