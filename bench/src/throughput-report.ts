/**
 * The throughput benchmark's tables (`throughput.ts`): saturation, fixed rate, and the targets,
 * as markdown ready to paste.
 */
import type { Alg, Framework, Scenario } from './config.js';
import { formatNumber, formatRatio, median } from './stats.js';

export interface ThroughputSettings {
  reps: number;
  duration: number;
  warmup: number;
  connections: number;
  rateShare: number;
  frameworks: Framework[];
  algs: Alg[];
  dpopAlgs: Alg[];
}

/** One load run of an app. */
export interface SaturationRun {
  rps: number;
  /** Client-side latency percentiles, ms. */
  p50: number;
  p99: number;
  /** Server CPU µs per answered request. */
  cpuPerRequest: number;
  /** Server CPU over the run, in cores (1 = one core busy all the time). */
  cpuShare: number;
  /** Share of resource-guard's signature verifications on the thread pool; NaN for other apps. */
  pooledShare: number;
  failures: number;
}

/** A run at a fixed rate, and whose capacity the rate was taken from. */
export interface RateRun extends SaturationRun {
  rate: number;
  base: 'peer' | 'inline';
}

export interface ThroughputEntry {
  scenario: Scenario & {
    /** `auto`: resource-guard's default; `inline`: `offloadSignatures: false`; `context`: a peer set up as its README shows. */
    role: 'bare' | 'auto' | 'inline' | 'peer' | 'context';
    credential: 'Bearer' | 'DPoP';
  };
  status: 'measured' | 'skipped' | 'failed' | string;
  reason?: string;
  saturation: SaturationRun[];
  /** Mean of the bare runs around each saturation run. */
  bareRps: number[];
  rate: RateRun[];
}

export interface ThroughputReport {
  settings: ThroughputSettings & { quick: boolean };
  entries: ThroughputEntry[];
  seconds: number;
  loadavg: { start: number[]; end: number[] };
  command: string;
}

const med = (runs: readonly SaturationRun[], pick: (run: SaturationRun) => number) => median(runs.map(pick).filter(Number.isFinite));
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 0)}` : 'n/a');
const percent = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)} %` : '–');
const range = (runs: readonly SaturationRun[]) => {
  const values = runs.map((run) => run.rps).filter(Number.isFinite);
  return values.length < 2 ? '' : ` (${formatNumber(Math.min(...values))}-${formatNumber(Math.max(...values))})`;
};

function peerOf(entries: readonly ThroughputEntry[], entry: ThroughputEntry): ThroughputEntry | undefined {
  const { framework, alg, credential } = entry.scenario;
  return entries.find((other) => other.scenario.role === 'peer' && other.scenario.framework === framework
    && other.scenario.alg === alg && other.scenario.credential === credential && other.status === 'measured');
}

function saturationRows(entries: readonly ThroughputEntry[]): string[] {
  const rows = [
    '| framework | token | middleware | req/s (range) | × peer | × bare | p50 (ms) | p99 (ms) | server CPU (cores) | CPU µs/req | signatures on the pool |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const entry of entries) {
    const { scenario } = entry;
    const token = scenario.role === 'bare' ? '–' : `${scenario.alg} ${scenario.credential}`;
    if (entry.status !== 'measured') {
      rows.push(`| ${scenario.framework} | ${token} | ${scenario.label} | not measured: ${entry.status}${entry.reason === undefined ? '' : ` (${entry.reason.replaceAll('|', '/')})`} | | | | | | | |`);
      continue;
    }
    const rps = med(entry.saturation, (run) => run.rps);
    const peer = scenario.role === 'auto' || scenario.role === 'inline' ? peerOf(entries, entry) : undefined;
    const peerRps = peer === undefined ? Number.NaN : med(peer.saturation, (run) => run.rps);
    const bare = median(entry.saturation.map((run, index) => run.rps / entry.bareRps[index]!).filter(Number.isFinite));
    rows.push(`| ${scenario.framework} | ${token} | ${scenario.label} | ${formatNumber(rps)}${range(entry.saturation)} | ${peer === undefined ? '–' : formatRatio(rps / peerRps)} `
      + `| ${scenario.role === 'bare' ? '1.00×' : formatRatio(bare)} | ${ms(med(entry.saturation, (run) => run.p50))} | ${ms(med(entry.saturation, (run) => run.p99))} `
      + `| ${med(entry.saturation, (run) => run.cpuShare).toFixed(2)} | ${formatNumber(med(entry.saturation, (run) => run.cpuPerRequest))} | ${percent(med(entry.saturation, (run) => run.pooledShare))} |`);
  }
  return rows;
}

function rateRows(entries: readonly ThroughputEntry[]): string[] {
  const rows = [
    '| framework | token | rate (req/s) | resource-guard default: p50 / p99 (ms) | on the pool | `offloadSignatures: false`: p50 / p99 | peer: p50 / p99 | default p50 / false p50 |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const groups = new Map<string, ThroughputEntry[]>();
  for (const entry of entries) {
    if (entry.rate.length === 0) continue;
    const key = `${entry.scenario.framework}|${entry.scenario.alg} ${entry.scenario.credential}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  for (const [key, group] of groups) {
    const [framework, token] = key.split('|') as [string, string];
    const role = (name: string) => group.find((entry) => entry.scenario.role === name);
    const cell = (entry: ThroughputEntry | undefined) => (entry === undefined ? 'no such path' : `${ms(med(entry.rate, (run) => run.p50))} / ${ms(med(entry.rate, (run) => run.p99))}`);
    const auto = role('auto');
    const inline = role('inline');
    const first = group[0]!.rate[0]!;
    const ratio = auto !== undefined && inline !== undefined ? med(auto.rate, (run) => run.p50) / med(inline.rate, (run) => run.p50) : Number.NaN;
    rows.push(`| ${framework} | ${token} | ${formatNumber(first.rate)} (${first.base === 'peer' ? 'of the peer\'s' : 'of `false`\'s'} capacity) | ${cell(auto)} `
      + `| ${auto === undefined ? '–' : percent(med(auto.rate, (run) => run.pooledShare))} | ${cell(inline)} | ${cell(role('peer'))} | ${formatRatio(ratio)} |`);
  }
  return rows;
}

function targetRows(entries: readonly ThroughputEntry[]): string[] {
  const rows = ['| target | measured | goal | |', '|---|---:|---:|---|'];
  const find = (framework: string, alg: string, credential: string, role: string) => entries.find((entry) => entry.scenario.framework === framework
    && entry.scenario.alg === alg && entry.scenario.credential === credential && entry.scenario.role === role && entry.status === 'measured');
  const add = (label: string, value: number, goal: number, higher: boolean) => {
    const met = Number.isFinite(value) ? (higher ? value >= goal : value <= goal) : undefined;
    rows.push(`| ${label} | ${Number.isFinite(value) ? value.toFixed(2) : 'n/a'} | ${higher ? '≥' : '≤'} ${goal} | ${met === undefined ? 'n/a' : met ? 'met' : '**missed**'} |`);
  };
  for (const entry of entries) {
    if (entry.scenario.role !== 'auto') continue;
    const { framework, alg, credential } = entry.scenario;
    const peer = find(framework, alg, credential, 'peer');
    const inline = find(framework, alg, credential, 'inline');
    const name = `${framework} ${alg} ${credential}`;
    if (peer !== undefined) {
      add(`${name}: req/s, default / peer`, med(entry.saturation, (run) => run.rps) / med(peer.saturation, (run) => run.rps), 1.25, true);
      add(`${name}: p99 at saturation, default / peer`, med(entry.saturation, (run) => run.p99) / med(peer.saturation, (run) => run.p99), 1, false);
    }
    if (inline !== undefined && entry.rate.length > 0) {
      add(`${name}: p50 at the fixed rate, default / \`false\``, med(entry.rate, (run) => run.p50) / med(inline.rate, (run) => run.p50), 1.1, false);
    }
  }
  return rows;
}

export function renderThroughputReport(report: ThroughputReport): string {
  const { settings } = report;
  const failures = report.entries.flatMap((entry) => entry.saturation.concat(entry.rate)).reduce((sum, run) => sum + run.failures, 0);
  return [
    `# Throughput per process${settings.quick ? ' (--quick smoke run: one short repetition, figures meaningless)' : ''}`,
    '',
    `${new Date().toISOString()} · Node ${process.version} · \`${report.command}\` · load average ${report.loadavg.start.map((value) => value.toFixed(2)).join(' ')} at start, `
      + `${report.loadavg.end.map((value) => value.toFixed(2)).join(' ')} at end · ${Math.round(report.seconds)} s`,
    '',
    `Each API in its own process, autocannon in the parent, ${settings.connections} connections; ${settings.reps} repetitions of ${settings.duration} s runs `
      + `(after a ${settings.warmup} s warm-up), alternating order, each run bracketed by runs of the bare framework app; medians over the repetitions. `
      + '"server CPU" is the API process\'s CPU time over the run in cores (user + system); "signatures on the pool": the share of resource-guard\'s '
      + `\`node:crypto\` verifications made with a callback (libuv's thread pool). Non-2xx answers and errors during the runs: ${failures}.`,
    '',
    '## At saturation',
    '',
    ...saturationRows(report.entries),
    '',
    `## At a fixed moderate rate (${Math.round(settings.rateShare * 100)} % of the peer's capacity, or of resource-guard's with \`offloadSignatures: false\` where the peer has no such path)`,
    '',
    'Requests leave at evenly spaced instants (an open loop, up to `--connections` in flight); each latency counts from the instant its '
      + 'request was due, so a stall on either side shows instead of delaying the next send.',
    '',
    ...rateRows(report.entries),
    '',
    '## Targets',
    '',
    ...targetRows(report.entries),
    '',
  ].join('\n');
}
