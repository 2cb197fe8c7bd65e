/**
 * `npm run bench`: the side-by-side benchmark. `--quick` (`npm run bench:quick`): only the
 * pre-checks (each app accepts the valid token and rejects the bad ones), in a few seconds.
 *
 * Options: --duration S (2) --warmup S (2) --reps N (5) --connections N (50) --rate N (unthrottled)
 * --one-process --only id,id
 * --flood N (1000000) --flood-time-limit S (300) --no-flood --no-micro --no-introspection-load
 * --out FILE (bench/results/latest.md)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FRAMEWORKS, SCENARIOS, type Scenario } from './config.js';
import { runChild } from './children.js';
import type { FloodResult } from './flood.js';
import { runIntrospectionLoad } from './introspection-load.js';
import { runLoad, type LoadResult } from './load.js';
import { runPacedLoad } from './paced-load.js';
import type { MemoryResult } from './memory.js';
import type { MicroResult } from './micro.js';
import { renderReport, type Report, type RunSettings } from './report.js';
import { createWorld, startAndCheck, stopAll, type Running } from './setup.js';
import { formatNumber } from './stats.js';
import { positiveNumber, readArgs } from './args.js';

interface Options extends RunSettings {
  quick: boolean;
  only: string[] | undefined;
  flood: number;
  floodTimeLimit: number;
  noFlood: boolean;
  noMicro: boolean;
  noIntrospectionLoad: boolean;
  out: string;
  /** `--rate N`: requests per second (all connections); default unthrottled. */
  rate: number | undefined;
  /** `--one-process`: every app of a framework in one server process, each at its own path. */
  oneProcess: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const values = readArgs(argv, {
    quick: { type: 'boolean' }, duration: { type: 'string' }, warmup: { type: 'string' }, reps: { type: 'string' },
    connections: { type: 'string' }, rate: { type: 'string' }, 'one-process': { type: 'boolean' }, only: { type: 'string' }, flood: { type: 'string' }, 'flood-time-limit': { type: 'string' },
    'no-flood': { type: 'boolean' }, 'no-micro': { type: 'boolean' }, 'no-introspection-load': { type: 'boolean' }, out: { type: 'string' },
  });
  const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return {
    quick: values.quick === true,
    duration: positiveNumber(values, 'duration', 2),
    warmup: positiveNumber(values, 'warmup', 2),
    reps: positiveNumber(values, 'reps', 5),
    connections: positiveNumber(values, 'connections', 50),
    rate: values.rate === undefined ? undefined : positiveNumber(values, 'rate', 1),
    oneProcess: values['one-process'] === true,
    only: values.only?.split(','),
    flood: positiveNumber(values, 'flood', 1_000_000),
    floodTimeLimit: positiveNumber(values, 'flood-time-limit', 300),
    noFlood: values['no-flood'] === true,
    noMicro: values['no-micro'] === true,
    noIntrospectionLoad: values['no-introspection-load'] === true,
    out: values.out ?? path.join(benchDir, 'results', 'latest.md'),
  };
}

const log = (message: string) => console.error(`[bench] ${message}`);

/**
 * One load run of a scenario, and the server's CPU time per request during it. DPoP gets a fresh
 * pool of proofs sized from what the scenario has done so far.
 */
type Measured = { result: LoadResult; cpuPerRequest: number };

async function loadOnce(entry: Running, seconds: number, connections: number, rate?: number): Promise<Measured> {
  if (entry.handle.status !== 'ready' || entry.credential === undefined) throw new Error('not running');
  const { credential, handle } = entry;
  const before = credential.exhausted();
  if (credential.rotating) {
    const best = Math.max(3000, ...entry.outcome.runs.map((run) => run.rps));
    credential.prepare(Math.ceil(best * seconds * 1.5) + 2 * connections);
  }
  const cpuBefore = await handle.cpu();
  const credentials = credential.rotating ? { next: () => credential.valid() } : { headers: credential.valid() };
  // A fixed rate is paced evenly (paced-load.ts): autocannon's own rate sends each second's budget in a burst.
  const result = rate === undefined
    ? await runLoad({ url: handle.url, connections, duration: seconds, ...credentials })
    : await runPacedLoad({ url: handle.url, connections, duration: seconds, rate, ...credentials });
  const cpuPerRequest = (await handle.cpu() - cpuBefore) / result.total;
  const exhausted = credential.exhausted() - before;
  if (exhausted > 0) entry.outcome.notes.push(`${exhausted} requests ran out of fresh DPoP proofs`);
  return { result, cpuPerRequest };
}

/** Runs prechecks only; resolves with the outcomes. Used by `--quick` and by the CI test. */
export async function runQuick(scenarios: readonly Scenario[] = SCENARIOS, oneProcess = false): Promise<Running['outcome'][]> {
  const world = await createWorld();
  let running: Running[] = [];
  try {
    running = await startAndCheck(world, scenarios, oneProcess);
    return running.map((entry) => entry.outcome);
  } finally {
    await stopAll(running);
    await world.close();
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  const started = Date.now();
  const loadavgStart = os.loadavg();
  const scenarios = options.only === undefined ? SCENARIOS : SCENARIOS.filter((scenario) => options.only!.includes(scenario.id));
  if (options.quick) {
    const outcomes = await runQuick(scenarios, options.oneProcess);
    let failed = 0;
    for (const outcome of outcomes) {
      const status = outcome.status === 'skipped' ? `SKIPPED (${outcome.reason})` : outcome.precheck?.ok === true ? 'ok' : 'FAILED';
      if (outcome.status === 'failed') failed++;
      console.log(`${status.padEnd(7)} ${outcome.scenario.label}${outcome.precheck === undefined ? '' : `: ${outcome.precheck.details.join('; ')}`}`);
    }
    const checked = outcomes.filter((outcome) => outcome.status !== 'skipped').length;
    console.log(`bench pre-checks: ${checked - failed} passed, ${failed} failed, ${outcomes.length - checked} skipped`);
    return failed === 0 ? 0 : 1;
  }

  const world = await createWorld();
  let running: Running[] = [];
  const report: Report = { settings: options, outcomes: [], loadavg: { start: loadavgStart, end: [] }, seconds: 0 };
  try {
    log(`starting ${scenarios.length} servers and running the pre-checks`);
    running = await startAndCheck(world, scenarios, options.oneProcess);
    report.outcomes = running.map((entry) => entry.outcome);
    for (const { outcome } of running) {
      log(`${outcome.scenario.id}: ${outcome.status === 'skipped' ? `skipped (${outcome.reason})` : outcome.precheck?.ok === true ? 'pre-check ok' : `PRE-CHECK FAILED ${outcome.precheck?.details.join('; ') ?? outcome.reason}`}`);
    }
    const measurable = running.filter((entry) => entry.outcome.status === 'checked');

    for (const entry of measurable) {
      log(`warm-up ${entry.outcome.scenario.id}`);
      await loadOnce(entry, options.warmup, options.connections, options.rate);
    }
    const record = (entry: Running, run: Measured, bare: Measured, rep: number) => {
      const { outcome } = entry;
      outcome.runs.push(run.result);
      outcome.cpuPerRequest.push(run.cpuPerRequest);
      outcome.bareRps.push(bare.result.rps);
      outcome.bareCpuPerRequest.push(bare.cpuPerRequest);
      outcome.ratios.push(run.result.rps / bare.result.rps);
      outcome.addedMicros.push(1e6 / run.result.rps - 1e6 / bare.result.rps);
      outcome.addedCpuMicros.push(run.cpuPerRequest - bare.cpuPerRequest);
      const { non2xx, errors, timeouts } = run.result;
      if (non2xx > 0 || errors > 0 || timeouts > 0) outcome.notes.push(`rep ${rep + 1}: ${non2xx} non-2xx, ${errors} errors, ${timeouts} timeouts`);
      log(`rep ${rep + 1}/${options.reps} ${outcome.scenario.id}: ${formatNumber(run.result.rps)} req/s (${(run.result.rps / bare.result.rps).toFixed(2)}× bare), server CPU ${run.cpuPerRequest.toFixed(0)} µs/req`);
    };
    const measureOnce = async (entry: Running): Promise<Measured> => loadOnce(entry, options.duration, options.connections, options.rate);
    for (let rep = 0; rep < options.reps; rep++) {
      for (const framework of FRAMEWORKS) {
        const group = measurable.filter((entry) => entry.outcome.scenario.framework === framework);
        const bare = group.find((entry) => entry.outcome.scenario.kind === 'bare');
        const others = group.filter((entry) => entry !== bare);
        const order = rep % 2 === 0 ? others : [...others].reverse();
        if (bare === undefined) {
          // No reference app selected (--only): record the runs without ratios.
          for (const entry of order) {
            const run = await measureOnce(entry);
            record(entry, run, { result: { ...run.result, rps: Number.NaN }, cpuPerRequest: Number.NaN }, rep);
          }
          continue;
        }
        // bare, A, bare, B, bare, ...: each run is compared with the bare runs right around it.
        let before = await measureOnce(bare);
        const bareRuns = [before];
        for (const entry of order) {
          const run = await measureOnce(entry);
          const after = await measureOnce(bare);
          bareRuns.push(after);
          const mean = {
            result: { ...run.result, rps: (before.result.rps + after.result.rps) / 2 },
            cpuPerRequest: (before.cpuPerRequest + after.cpuPerRequest) / 2,
          };
          record(entry, run, mean, rep);
          before = after;
        }
        // The bare app's own row: its median run of this repetition.
        const middle = [...bareRuns].sort((a, b) => a.result.rps - b.result.rps)[bareRuns.length >> 1]!;
        record(bare, middle, middle, rep);
      }
    }
    for (const entry of measurable) {
      entry.outcome.status = 'measured';
      if (entry.handle.status === 'ready') entry.outcome.rss = (await entry.handle.memory()).rss;
    }
    await stopAll(running);
    running = [];

    if (!options.noMicro) {
      log('micro benchmark');
      try {
        report.micro = await runChild<MicroResult>('micro', []);
      } catch (error) {
        report.micro = { skipped: (error as Error).message };
      }
    }
    if (!options.noMicro) {
      log('memory per entry');
      try {
        report.memory = await runChild<MemoryResult>('memory', ['--entries', '5000'], ['--expose-gc']);
      } catch (error) {
        report.memory = { rows: [], skipped: (error as Error).message };
      }
    }
    if (!options.noIntrospectionLoad) {
      log('introspection load: 200 connections, 100 tokens, 20,000 requests; then the same on 3 processes sharing Redis');
      report.introspectionLoad = [
        await runIntrospectionLoad(world.server, { connections: 200, tokens: 100, requests: 20_000 }),
        await runIntrospectionLoad(world.server, { connections: 200, tokens: 100, requests: 20_000, processes: 3, redisUrl: world.redis?.url }),
      ];
    }
    if (!options.noFlood) {
      log(`introspection flood: ${formatNumber(options.flood)} distinct tokens (time limit ${options.floodTimeLimit} s)`);
      report.flood = await runChild<FloodResult>('flood', ['--count', String(options.flood), '--time-limit', String(options.floodTimeLimit)], ['--expose-gc']);
    }
  } finally {
    await stopAll(running);
    await world.close();
  }
  report.loadavg.end = os.loadavg();
  report.seconds = (Date.now() - started) / 1000;
  const markdown = renderReport(report);
  console.log(markdown);
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, markdown);
  log(`written to ${options.out}`);
  const broken = report.outcomes.some((outcome) => outcome.status === 'failed')
    || (report.introspectionLoad ?? []).some((load) => !load.ok && load.skipped === undefined);
  return broken ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
