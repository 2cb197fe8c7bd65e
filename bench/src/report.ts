/** Renders the run as markdown: the load table, targets, micro table, introspection, prechecks. */
import os from 'node:os';
import type { Scenario } from './config.js';
import type { FloodResult } from './flood.js';
import type { IntrospectionLoadResult } from './introspection-load.js';
import type { MicroResult } from './micro.js';
import type { LoadResult } from './load.js';
import type { MemoryResult } from './memory.js';
import type { PrecheckResult } from './precheck.js';
import { formatMicros, formatNumber, formatRatio, median, megabytes } from './stats.js';

export interface ScenarioOutcome {
  scenario: Scenario;
  /** `skipped` (feature not available: reason), `failed` (precheck failed), `measured`. */
  status: 'skipped' | 'failed' | 'measured' | 'checked';
  reason?: string;
  precheck?: PrecheckResult;
  runs: LoadResult[];
  /** Server CPU time (user + system) per completed request in each repetition, µs. */
  cpuPerRequest: number[];
  /**
   * Per repetition, the bare app of the same framework measured right before and right after this
   * run (their mean): the reference for the ratios below. Equal to the own run for a bare app.
   */
  bareRps: number[];
  bareCpuPerRequest: number[];
  /** Per repetition: rps / bareRps. */
  ratios: number[];
  /** Per repetition: 1e6/rps − 1e6/bareRps. */
  addedMicros: number[];
  /** Per repetition: server CPU µs per request minus the bracketing bare runs'. */
  addedCpuMicros: number[];
  rss?: number;
  notes: string[];
}

export interface RunSettings {
  connections: number;
  duration: number;
  warmup: number;
  reps: number;
  /** `--one-process`: one server process per framework (its apps at their own paths). */
  oneProcess?: boolean;
  /** `--rate`: requests per second, all connections together. */
  rate?: number;
}

export interface Report {
  settings: RunSettings;
  outcomes: ScenarioOutcome[];
  micro?: MicroResult | { skipped: string };
  introspectionLoad?: IntrospectionLoadResult[];
  flood?: FloodResult;
  memory?: MemoryResult;
  loadavg: { start: number[]; end: number[] };
  seconds: number;
}

const rpsMedian = (outcome: ScenarioOutcome) => median(outcome.runs.map((run) => run.rps));

type Added = 'addedMicros' | 'addedCpuMicros';

/** Median over repetitions of `added(rg) / added(peer)`, each from the same repetition. */
function addedRatio(outcomes: ScenarioOutcome[], ours: string, theirs: string, which: Added): number {
  const a = outcomes.find((outcome) => outcome.scenario.id === ours);
  const b = outcomes.find((outcome) => outcome.scenario.id === theirs);
  if (a?.status !== 'measured' || b?.status !== 'measured') return Number.NaN;
  // A peer that added nothing (or "less than nothing": noise) in a repetition gives no usable ratio.
  const values = a[which].map((added, rep) => (b[which][rep]! > 0 ? added / b[which][rep]! : Number.NaN)).filter(Number.isFinite);
  return median(values);
}

function verdict(value: number, limit: number, atMost: boolean): string {
  if (!Number.isFinite(value)) return 'n/a';
  return (atMost ? value <= limit : value >= limit) ? 'met' : '**missed**';
}

export function renderReport(report: Report): string {
  const { settings, outcomes } = report;
  const lines: string[] = [];
  const cpu = os.cpus();
  lines.push('# resource-guard benchmark');
  lines.push('');
  lines.push(`${new Date().toISOString()} · Node ${process.version} · ${cpu.length} × ${cpu[0]?.model ?? 'cpu'} · load average ${report.loadavg.start.map((v) => v.toFixed(2)).join(' ')} at start, ${report.loadavg.end.map((v) => v.toFixed(2)).join(' ')} at end · ${report.seconds.toFixed(0)} s`);
  lines.push('');
  const servers = settings.oneProcess === true
    ? 'one server process per framework holding all of its apps, each at `/<scenario id>/` (one heap, one JIT, one event loop: the apps differ only in their middleware; "server RSS" is the shared process\'s)'
    : 'each API server in its own child process';
  lines.push(`Load: autocannon (programmatic, in the parent process) → ${servers} over loopback; `
    + `${settings.connections} connections${settings.rate === undefined ? '' : ` at ${settings.rate} requests/s in all`}, ${settings.warmup} s warm-up per scenario, then ${settings.reps} repetitions of ${settings.duration} s runs in alternating order (forward, reversed, ...). `
    + 'Within a repetition every scenario run is **bracketed** by runs of the bare app of its framework (bare, A, bare, B, bare, ...), and its "× bare" and "added µs" '
    + 'are computed against the mean of the two bare runs around it, so that the machine\'s drift over a run of minutes cancels; then the median over repetitions is taken. '
    + 'req/s is the median over repetitions of completed responses / duration. Added µs = 1e6/rps(scenario) − 1e6/rps(bare), i.e. from **throughput** (server time per request; '
    + `with ${settings.connections} connections in a closed loop the latency difference is about ${settings.connections}× that). The client shares the 2 cores with the server. `
    + '"server CPU" is the server process\'s own CPU time (user + system, `process.cpuUsage()` read before and after each run) per completed request, and "added CPU" '
    + 'its difference to the bare app in the same repetition: far less sensitive than throughput to other load on the machine.');
  lines.push('');
  lines.push('| scenario | req/s | × bare | added µs/req | server CPU µs/req | added CPU µs/req | mean latency | p99 latency | server RSS | status |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const outcome of outcomes) {
    const { scenario } = outcome;
    if (outcome.status !== 'measured') {
      const why = outcome.status === 'skipped' ? `skipped: ${outcome.reason}` : outcome.status === 'failed' ? `**precheck failed** (${outcome.precheck?.details.join('; ')})` : 'checked only';
      lines.push(`| ${scenario.label} | – | – | – | – | – | – | – | – | ${why} |`);
      continue;
    }
    const bare = scenario.kind === 'bare';
    lines.push(`| ${scenario.label} | ${formatNumber(rpsMedian(outcome))} | ${bare ? '1.00×' : formatRatio(median(outcome.ratios))} | ${bare ? '–' : formatMicros(median(outcome.addedMicros))} `
      + `| ${median(outcome.cpuPerRequest).toFixed(0)} | ${bare ? '–' : formatMicros(median(outcome.addedCpuMicros))} `
      + `| ${median(outcome.runs.map((run) => run.latencyMean)).toFixed(2)} ms | ${median(outcome.runs.map((run) => run.latencyP99)).toFixed(0)} ms `
      + `| ${outcome.rss === undefined ? '–' : megabytes(outcome.rss)} | ${outcome.notes.length === 0 ? 'ok' : outcome.notes.join('; ')} |`);
  }
  lines.push('');
  lines.push('Per-repetition req/s (server CPU µs/req): ' + outcomes.filter((outcome) => outcome.status === 'measured')
    .map((outcome) => `${outcome.scenario.id} ${outcome.runs.map((run, rep) => `${formatNumber(run.rps)} (${outcome.cpuPerRequest[rep]!.toFixed(0)})`).join(' / ')}`).join(' · '));
  lines.push('');

  lines.push(...renderTargets(report));
  lines.push(...renderMicro(report.micro));
  lines.push(...renderIntrospection(report));
  lines.push(...renderMemory(report.memory));
  lines.push('## Pre-checks (before any measurement)');
  lines.push('');
  lines.push('| scenario | result | checks (expected → got) |');
  lines.push('|---|---|---|');
  for (const outcome of outcomes) {
    const result = outcome.status === 'skipped' ? `skipped: ${outcome.reason}` : outcome.precheck?.ok === true ? 'ok' : '**FAILED**';
    lines.push(`| ${outcome.scenario.label} | ${result} | ${outcome.precheck?.details.join('; ') ?? '–'} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function renderTargets(report: Report): string[] {
  const { outcomes } = report;
  const lines = ['## Targets', '', '| target | measured | limit | verdict |', '|---|---:|---:|---|'];
  const micro = report.micro !== undefined && 'rows' in report.micro ? report.micro : undefined;
  for (const alg of ['ES256', 'RS256'] as const) {
    const row = micro?.rows.find((candidate) => candidate.id === `${alg}-guard`);
    const limit = alg === 'ES256' ? 1.15 : 1.3;
    const ratio = row?.ratio ?? Number.NaN;
    lines.push(`| ${alg} guard.verify() / node:crypto.verify (micro) | ${formatRatio(ratio)} | ≤ ${limit}× | ${verdict(ratio, limit, true)} |`);
  }
  const peers = [
    ['Express', 'express-rg-es256', 'express-auth0', 'resource-guard ES256', 'express-oauth2-jwt-bearer', 0.6],
    ['Koa', 'koa-rg-es256', 'koa-jwt', 'resource-guard ES256', 'koa-jwt + jwks-rsa', 0.25],
    ['Express', 'express-rg-offload', 'express-auth0', 'resource-guard ES256 with offloadSignatures (opt-in)', 'express-oauth2-jwt-bearer', 0.6],
    ['Koa', 'koa-rg-offload', 'koa-jwt', 'resource-guard ES256 with offloadSignatures (opt-in)', 'koa-jwt + jwks-rsa', 0.25],
    ['Express', 'express-rg-dpop', 'express-auth0-dpop', 'resource-guard DPoP (proof, token, replay check)', 'express-oauth2-jwt-bearer DPoP (no replay check)', 0.6],
  ] as const;
  for (const [framework, ours, theirs, what, name, limit] of peers) {
    const byCpu = addedRatio(outcomes, ours, theirs, 'addedCpuMicros');
    lines.push(`| ${framework}: added server CPU per request of ${what} / ${name}'s | ${formatRatio(byCpu)} | ≤ ${limit}× | ${verdict(byCpu, limit, true)} |`);
    const byThroughput = addedRatio(outcomes, ours, theirs, 'addedMicros');
    lines.push(`| ${framework}: same, from throughput | ${formatRatio(byThroughput)} | ≤ ${limit}× | ${verdict(byThroughput, limit, true)} |`);
  }
  for (const id of ['express-rg-cache', 'koa-rg-cache']) {
    const cache = outcomes.find((outcome) => outcome.scenario.id === id);
    const framework = id.startsWith('koa') ? 'Koa' : 'Express';
    const cacheRatio = cache?.status === 'measured' ? median(cache.ratios) : Number.NaN;
    const cacheNote = micro !== undefined && !micro.verifiedTokenCache.active ? ` (${micro.verifiedTokenCache.note})` : '';
    lines.push(`| ${framework} + verifiedTokenCache: throughput / bare ${framework}${cacheNote} | ${formatRatio(cacheRatio)} | ≥ 0.9× | ${verdict(cacheRatio, 0.9, false)} |`);
    if (cache?.status === 'measured') {
      // The throughput the CPU cost allows: bare CPU per request / cached CPU per request, per repetition.
      const cpuRatio = median(cache.cpuPerRequest.map((micros, rep) => cache.bareCpuPerRequest[rep]! / micros));
      lines.push(`| same, from server CPU time per request (bare CPU µs / cached CPU µs) | ${formatRatio(cpuRatio)} | ≥ 0.9× | ${verdict(cpuRatio, 0.9, false)} |`);
    }
  }
  const opaque = outcomes.find((outcome) => outcome.scenario.id === 'express-rg-opaque');
  const opaqueAdded = opaque?.status === 'measured' ? median(opaque.addedCpuMicros) : Number.NaN;
  lines.push(`| Express: added server CPU per introspection-cache hit (µs) | ${Number.isFinite(opaqueAdded) ? formatMicros(opaqueAdded) : 'n/a'} | ≤ 15 µs | ${verdict(opaqueAdded, 15, true)} |`);
  const wall = (id: string) => micro?.rows.find((row) => row.id === id)?.wallMicros ?? Number.NaN;
  const redisAdded = wall('dpop-redis') - wall('dpop');
  const roundTrip = wall('redis-round-trip');
  lines.push(`| DPoP on the Redis store: wall-clock µs added over the memory store (micro) / one Redis round trip | ${Number.isFinite(redisAdded / roundTrip) ? `${formatRatio(redisAdded / roundTrip)} (${redisAdded.toFixed(0)} / ${roundTrip.toFixed(0)} µs)` : 'n/a'} | ≤ 1× | ${verdict(redisAdded / roundTrip, 1, true)} |`);
  // Context, not a target (none was set for Fastify): the same comparison with its peer.
  for (const which of ['addedMicros', 'addedCpuMicros'] as const) {
    const ratio = addedRatio(outcomes, 'fastify-rg-es256', 'fastify-jwt', which);
    const basis = which === 'addedMicros' ? 'from throughput' : 'from server CPU time per request';
    if (Number.isFinite(ratio)) lines.push(`| Fastify: added µs/req of resource-guard ES256 / @fastify/jwt + get-jwks's, ${basis} | ${formatRatio(ratio)} | – | context |`);
  }
  // Context, not a target: what one empty middleware layer alone keeps of bare throughput.
  for (const id of ['express-noop', 'koa-noop', 'fastify-noop']) {
    const noop = outcomes.find((outcome) => outcome.scenario.id === id);
    if (noop?.status === 'measured') {
      lines.push(`| ${noop.scenario.label}: throughput / bare | ${formatRatio(median(noop.ratios))} | – | context |`);
    }
  }
  lines.push('');
  return lines;
}

function renderMicro(micro: Report['micro']): string[] {
  const lines = ['## Micro benchmark (in-process, sequential, no HTTP)', ''];
  if (micro === undefined) return [...lines, 'not run', ''];
  if ('skipped' in micro) return [...lines, `skipped: ${micro.skipped}`, ''];
  lines.push(`Median of ${micro.batches} batches × ${micro.iterations} sequential calls, batches of all variants interleaved; µs/op by the process's CPU time `
    + '(user + system; the wall clock, also shown, counts time spent waiting for a core on a shared machine); × floor is the median of per-batch ratios. '
    + 'Floor: `crypto.verify()` with a `KeyObject` imported once from the JWK and the signing input / signature buffers prepared once. '
    + `verifiedTokenCache probe: ${micro.verifiedTokenCache.note}.`);
  lines.push('');
  lines.push('| operation | µs/op (CPU) | µs/op (wall) | × floor | target | note |');
  lines.push('|---|---:|---:|---:|---:|---|');
  for (const row of micro.rows) {
    lines.push(`| ${row.label} | ${row.micros === undefined ? '–' : row.micros.toFixed(1)} | ${row.wallMicros === undefined ? '–' : row.wallMicros.toFixed(1)} | ${row.ratio === undefined ? '–' : formatRatio(row.ratio)} `
      + `| ${row.target === undefined ? '' : `≤ ${row.target}×`} | ${row.note ?? ''} |`);
  }
  lines.push('');
  return lines;
}

function renderMemory(memory: MemoryResult | undefined): string[] {
  const lines = ['## Memory per entry', ''];
  if (memory === undefined) return [...lines, 'not run', ''];
  if (memory.skipped !== undefined) return [...lines, `skipped: ${memory.skipped}`, ''];
  lines.push('Heap after GC with N entries made through `guard.verify()`, minus the heap before, over N (`node --expose-gc bench/dist/memory.js`). '
    + 'The worst case is the default bound × bytes per entry.');
  lines.push('');
  lines.push('| entry | bytes per entry | entries measured | default bound | at the bound |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const row of memory.rows) {
    lines.push(`| ${row.label} | ${row.bytesPerEntry.toFixed(0)} | ${formatNumber(row.entries)} | ${formatNumber(row.defaultMax)} | ${megabytes(row.bytesPerEntry * row.defaultMax)} |`);
  }
  lines.push('');
  return lines;
}

function renderIntrospection(report: Report): string[] {
  const lines = ['## Introspection under load', ''];
  const loads = report.introspectionLoad ?? [];
  if (loads.length === 0) lines.push('Load scenario: not run.');
  for (const load of loads) {
    const where = load.processes > 1 ? `${load.processes} fresh server processes sharing one Redis store` : 'a fresh server';
    if (load.skipped !== undefined) lines.push(`Load scenario (${where}): skipped: ${load.skipped}`);
    else {
      lines.push(`Load scenario: ${load.connections} connections, ${load.tokens} distinct active opaque tokens round-robin, ${formatNumber(load.requests)} requests on ${where} `
        + `→ **${load.introspectionCalls} introspection calls** (expected exactly ${load.tokens}; tokens introspected twice: ${load.duplicated}), `
        + `${formatNumber(load.completed ?? 0)} responses, ${load.non2xx} non-2xx, ${load.errors} errors, ${formatNumber(load.rps ?? 0)} req/s → **${load.ok ? 'ok' : 'FAILED'}**.`);
    }
    lines.push('');
  }
  lines.push('');
  const flood = report.flood;
  if (flood === undefined) lines.push('Flood: not run.');
  else if (flood.skipped !== undefined) lines.push(`Flood: skipped: ${flood.skipped}`);
  else {
    const entries = flood.storeEntries === undefined ? 'unknown (store key format changed)' : formatNumber(flood.storeEntries);
    lines.push(`Flood: ${formatNumber(flood.sent)} of ${formatNumber(flood.requested)} distinct unknown opaque tokens through \`guard.verify()\` in ${flood.seconds.toFixed(1)} s`
      + `${flood.timedOut ? ' (stopped by the time limit)' : ''}, ${flood.concurrency} at a time, fake endpoint in-process (the guard's \`fetch\`) answering \`active: false\`, `
      + `inactive answers cached 600 s (nothing expires during the flood), store bound ${formatNumber(flood.storeMax)} entries.`);
    lines.push('');
    lines.push('| introspection calls | 401s | other outcomes | store writes | live store entries | RSS start | RSS when store full | RSS peak | RSS end | heap after GC: start / full / end |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    lines.push(`| ${formatNumber(flood.introspectionCalls)} | ${formatNumber(flood.rejected401)} | ${flood.otherOutcomes} | ${formatNumber(flood.storeSets)} | ${entries} `
      + `| ${megabytes(flood.rss.start)} | ${flood.rss.storeFull === undefined ? '–' : megabytes(flood.rss.storeFull)} | ${megabytes(flood.rss.peak)} | ${megabytes(flood.rss.end)} `
      + `| ${megabytes(flood.heapAfterGc.start)} / ${flood.heapAfterGc.storeFull === undefined ? '–' : megabytes(flood.heapAfterGc.storeFull)} / ${megabytes(flood.heapAfterGc.end)} |`);
  }
  lines.push('');
  return lines;
}
