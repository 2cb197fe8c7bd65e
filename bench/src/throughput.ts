/**
 * `npm run bench:throughput`: the headline figures, requests per second per API process and the
 * latency users see, for resource-guard (default `offloadSignatures: 'auto'`, and `false` for
 * reference) against each framework's usual JWT middleware, with ES256, RS256 and EdDSA tokens,
 * Bearer and DPoP. Two phases per framework, every app in its own process:
 *
 * 1. Saturation: autocannon with `--connections` (50) in a closed loop; each run bracketed by runs
 *    of the bare framework app (bare, A, bare, B, ...), `--reps` (3) repetitions in alternating
 *    order, medians. Per app: req/s, p50/p99 latency, server CPU (% of one core, and µs per
 *    request), and the share of signatures checked on the thread pool.
 * 2. A fixed moderate rate, requests evenly spaced (paced-load.ts; autocannon's `overallRate` sends
 *    each second's budget in a burst): `--rate-share` (0.3) of the peer's median
 *    saturated req/s (of resource-guard's with `offloadSignatures: false` where the peer has no
 *    such path), same repetitions and order rule: p50/p99 latency.
 *
 * Options: --reps N (3) --duration S (2) --warmup S (1) --connections N (50) --rate-share F (0.3)
 * --frameworks express,koa,fastify,hono --algs ES256,RS256,EdDSA --dpop-algs ES256 (DPoP rows;
 * `none` for none) --out FILE (bench/results/throughput.md) --quick (one short repetition of
 * everything: a smoke run of the whole pipeline in about two minutes; figures meaningless).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { positiveNumber, readArgs } from './args.js';
import { ALGS, FRAMEWORKS, type Alg, type AppKind, type Framework, type Scenario } from './config.js';
import { runLoad } from './load.js';
import { runPacedLoad } from './paced-load.js';
import { createWorld, startAndCheck, stopAll, type Running } from './setup.js';
import { formatNumber, median } from './stats.js';
import {
  renderThroughputReport, type RateRun, type SaturationRun, type ThroughputEntry, type ThroughputSettings,
} from './throughput-report.js';

/** Each framework's peer, and its DPoP path where it has one. */
const PEERS: Record<Framework, { kind: AppKind; label: string; dpopKind?: AppKind; context?: { kind: AppKind; label: string }; genericTyp?: boolean }> = {
  express: { kind: 'express-oauth2-jwt-bearer', label: 'express-oauth2-jwt-bearer', dpopKind: 'express-oauth2-jwt-bearer-dpop' },
  koa: { kind: 'koa-jwt', label: 'koa-jwt + jwks-rsa' },
  fastify: {
    kind: 'fastify-jwt-cached', label: '@fastify/jwt + get-jwks (PEM kept per key)',
    context: { kind: 'fastify-jwt', label: '@fastify/jwt + get-jwks as its README shows (jwk-to-pem per request)' },
  },
  // hono/jwk refuses RFC 9068's `typ: at+jwt` ("jwt header is invalid"): it is sent the same tokens typed `JWT`.
  hono: { kind: 'hono-jwk', label: 'hono/jwk (key set fetched once; tokens typed JWT)', genericTyp: true },
};

function parseOptions(argv: readonly string[]): ThroughputSettings & { quick: boolean; out: string } {
  const values = readArgs(argv, {
    quick: { type: 'boolean' }, reps: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' },
    connections: { type: 'string' }, 'rate-share': { type: 'string' }, frameworks: { type: 'string' }, algs: { type: 'string' },
    'dpop-algs': { type: 'string' }, out: { type: 'string' },
  });
  const quick = values.quick === true;
  const list = <T extends string>(value: string | undefined, all: readonly T[], fallback: readonly T[], name: string): T[] => {
    if (value === undefined) return [...fallback];
    if (value === 'none') return [];
    const picked = value.split(',') as T[];
    for (const item of picked) if (!all.includes(item)) throw new Error(`--${name}: unknown ${item} (one of ${all.join(', ')})`);
    return picked;
  };
  const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return {
    quick,
    reps: quick ? 1 : positiveNumber(values, 'reps', 3),
    duration: quick ? 0.5 : positiveNumber(values, 'duration', 2),
    warmup: quick ? 0.3 : positiveNumber(values, 'warmup', 1),
    connections: positiveNumber(values, 'connections', 50),
    rateShare: positiveNumber(values, 'rate-share', 0.3),
    frameworks: list(values.frameworks, FRAMEWORKS, FRAMEWORKS, 'frameworks'),
    algs: list(values.algs, ALGS, ALGS, 'algs'),
    dpopAlgs: list(values['dpop-algs'], ALGS, ['ES256'], 'dpop-algs'),
    out: values.out ?? path.join(benchDir, 'results', quick ? 'throughput-quick.md' : 'throughput.md'),
  };
}

const log = (message: string) => console.error(`[throughput] ${message}`);

/** The scenarios of one framework: its bare app, then per algorithm resource-guard (auto, inline) and the peer. */
function scenariosOf(framework: Framework, settings: ThroughputSettings): ThroughputEntry['scenario'][] {
  const peer = PEERS[framework];
  const scenario = (id: string, label: string, kind: AppKind, alg: Alg, extra: Partial<ThroughputEntry['scenario']>): ThroughputEntry['scenario'] => ({
    id: `${framework}-${id}`, label, framework, kind, alg, token: alg, role: 'bare', credential: 'Bearer', ...extra,
  } as ThroughputEntry['scenario']);
  const list = [scenario('bare', `${framework} (bare)`, 'bare', 'ES256', {})];
  for (const alg of settings.algs) {
    list.push(
      scenario(`rg-${alg}`, `resource-guard ${alg}`, 'resource-guard', alg, { role: 'auto' }),
      scenario(`rg-inline-${alg}`, `resource-guard ${alg}, offloadSignatures: false`, 'resource-guard-inline', alg, { role: 'inline' }),
      scenario(`peer-${alg}`, `${peer.label} ${alg}`, peer.kind, alg, { role: 'peer', ...(peer.genericTyp === true ? { genericTyp: true } : {}) }),
    );
    if (peer.context !== undefined && alg === 'ES256') list.push(scenario(`context-${alg}`, `${peer.context.label} ${alg}`, peer.context.kind, alg, { role: 'context' }));
  }
  for (const alg of settings.dpopAlgs) {
    const dpop = { token: 'dpop' as const, credential: 'DPoP' as const };
    list.push(
      scenario(`rg-dpop-${alg}`, `resource-guard ${alg} + DPoP`, 'resource-guard-dpop', alg, { ...dpop, role: 'auto' }),
      scenario(`rg-dpop-inline-${alg}`, `resource-guard ${alg} + DPoP, offloadSignatures: false`, 'resource-guard-dpop-inline', alg, { ...dpop, role: 'inline' }),
    );
    if (peer.dpopKind !== undefined) {
      // express-oauth2-jwt-bearer keeps no record of proofs: a replayed one passes (reported, not judged).
      list.push(scenario(`peer-dpop-${alg}`, `${peer.label} ${alg} + DPoP`, peer.dpopKind, alg, { ...dpop, role: 'peer', gaps: ['replayed proof'] }));
    }
  }
  return list;
}

/** One load run: client-side figures, server CPU and where its signatures were checked. */
// The highest req/s each app has shown: the size of its next pool of fresh DPoP proofs.
const bestRps = new WeakMap<Running, number>();

async function loadOnce(entry: Running, seconds: number, connections: number, rate?: number): Promise<SaturationRun> {
  if (entry.handle.status !== 'ready' || entry.credential === undefined) throw new Error('not running');
  const { credential, handle } = entry;
  if (credential.rotating) credential.prepare(Math.ceil((rate ?? Math.max(3000, bestRps.get(entry) ?? 0)) * seconds * 1.5) + 2 * connections);
  const before = await handle.usage();
  const credentials = credential.rotating ? { next: () => credential.valid() } : { headers: credential.valid() };
  const result = rate === undefined
    ? await runLoad({ url: handle.url, connections, duration: seconds, ...credentials })
    : await runPacedLoad({ url: handle.url, connections, duration: seconds, rate, ...credentials });
  const after = await handle.usage();
  bestRps.set(entry, Math.max(bestRps.get(entry) ?? 0, result.rps));
  const cpu = after.micros - before.micros;
  const inline = (after.verifications?.inline ?? 0) - (before.verifications?.inline ?? 0);
  const pooled = (after.verifications?.pooled ?? 0) - (before.verifications?.pooled ?? 0);
  return {
    rps: result.rps, p50: result.latencyP50, p99: result.latencyP99, cpuPerRequest: cpu / result.total, cpuShare: cpu / (result.duration * 1e6),
    pooledShare: inline + pooled === 0 ? Number.NaN : pooled / (inline + pooled), failures: result.non2xx + result.errors,
  };
}

async function measureFramework(framework: Framework, settings: ThroughputSettings, world: Awaited<ReturnType<typeof createWorld>>): Promise<ThroughputEntry[]> {
  const scenarios = scenariosOf(framework, settings);
  log(`${framework}: starting ${scenarios.length} servers and running the pre-checks`);
  const running = await startAndCheck(world, scenarios as Scenario[]);
  try {
    const entries: ThroughputEntry[] = running.map((entry) => ({
      scenario: entry.outcome.scenario as ThroughputEntry['scenario'], status: entry.outcome.status === 'checked' ? 'measured' : entry.outcome.status,
      reason: entry.outcome.reason ?? entry.outcome.precheck?.details.join('; '), saturation: [], bareRps: [], rate: [],
    }));
    for (const entry of entries) log(`${entry.scenario.id}: ${entry.status}${entry.status === 'measured' ? '' : ` (${entry.reason})`}`);
    const live = running.filter((entry) => entry.outcome.status === 'checked');
    const entryOf = (run: Running) => entries.find((entry) => entry.scenario === run.outcome.scenario)!;
    for (const run of live) await loadOnce(run, settings.warmup, settings.connections);

    const bare = live.find((run) => run.outcome.scenario.kind === 'bare');
    const others = live.filter((run) => run !== bare);
    for (let rep = 0; rep < settings.reps; rep++) {
      const order = rep % 2 === 0 ? others : [...others].reverse();
      let before = bare === undefined ? undefined : await loadOnce(bare, settings.duration, settings.connections);
      const bareRuns = before === undefined ? [] : [before];
      for (const run of order) {
        const measured = await loadOnce(run, settings.duration, settings.connections);
        const after = bare === undefined ? undefined : await loadOnce(bare, settings.duration, settings.connections);
        if (after !== undefined) bareRuns.push(after);
        const entry = entryOf(run);
        entry.saturation.push(measured);
        entry.bareRps.push(before === undefined || after === undefined ? Number.NaN : (before.rps + after.rps) / 2);
        before = after;
        log(`rep ${rep + 1}/${settings.reps} ${run.outcome.scenario.id}: ${formatNumber(measured.rps)} req/s, p99 ${measured.p99} ms, CPU ${(measured.cpuShare * 100).toFixed(0)} %`);
      }
      if (bare !== undefined) {
        const middle = [...bareRuns].sort((a, b) => a.rps - b.rps)[bareRuns.length >> 1]!;
        entryOf(bare).saturation.push(middle);
        entryOf(bare).bareRps.push(middle.rps);
      }
    }

    // The fixed moderate rate: per algorithm and credential, a share of the peer's capacity.
    const groups = new Map<string, Running[]>();
    for (const run of others) {
      const scenario = run.outcome.scenario as ThroughputEntry['scenario'];
      if (scenario.role === 'context') continue;
      const key = `${scenario.alg}/${scenario.credential}`;
      groups.set(key, [...(groups.get(key) ?? []), run]);
    }
    for (let rep = 0; rep < settings.reps; rep++) {
      for (const group of groups.values()) {
        const base = group.find((run) => (run.outcome.scenario as ThroughputEntry['scenario']).role === 'peer')
          ?? group.find((run) => (run.outcome.scenario as ThroughputEntry['scenario']).role === 'inline');
        const capacity = base === undefined ? Number.NaN : median(entryOf(base).saturation.map((run) => run.rps).filter(Number.isFinite));
        if (!(capacity > 0)) continue;
        const rate = Math.max(1, Math.round(capacity * settings.rateShare));
        const order = rep % 2 === 0 ? group : [...group].reverse();
        for (const run of order) {
          const measured = await loadOnce(run, settings.duration, settings.connections, rate);
          const rated: RateRun = { ...measured, rate, base: (base!.outcome.scenario as ThroughputEntry['scenario']).role as 'peer' | 'inline' };
          entryOf(run).rate.push(rated);
          log(`rate ${rate}/s rep ${rep + 1}/${settings.reps} ${run.outcome.scenario.id}: p50 ${measured.p50} ms, p99 ${measured.p99} ms`);
        }
      }
    }
    return entries;
  } finally {
    await stopAll(running);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const settings = parseOptions(argv);
  const started = Date.now();
  const loadavgStart = os.loadavg();
  const world = await createWorld();
  const entries: ThroughputEntry[] = [];
  try {
    for (const framework of settings.frameworks) entries.push(...await measureFramework(framework, settings, world));
  } finally {
    await world.close();
  }
  const markdown = renderThroughputReport({
    settings, entries, seconds: (Date.now() - started) / 1000, loadavg: { start: loadavgStart, end: os.loadavg() },
    command: `node bench/dist/throughput.js ${argv.join(' ')}`.trim(),
  });
  console.log(markdown);
  mkdirSync(path.dirname(settings.out), { recursive: true });
  writeFileSync(settings.out, markdown);
  log(`written to ${settings.out}`);
  // A peer that cannot take a token (EdDSA, say) is reported; resource-guard or a bare app failing is an error.
  const broken = entries.some((entry) => entry.status === 'failed' && ['auto', 'inline', 'bare'].includes(entry.scenario.role));
  return broken ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
