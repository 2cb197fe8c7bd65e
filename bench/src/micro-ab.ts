/**
 * The in-process micro of two builds, interleaved (`node bench/dist/micro-ab.js --against <dir>`):
 * `<dir>` is another checkout of this repository, installed and built (`npm ci && npm run build`),
 * e.g. a `git worktree` of the commit before a change. Each round runs that checkout's
 * `bench/dist/micro.js` and this one's, each in a process of its own, the order alternating from
 * round to round so that neither always runs on a warmer or quieter machine. Reported per row —
 * ES256 and RS256 `guard.verify()`, their verified-token cache hits, the introspection-cache hit —
 * the CPU µs per call of every round, their median, the median ratio to `node:crypto.verify` where
 * the micro has one, and the change of the medians. Options: `--rounds` (default 3), and
 * `--batches`, `--iterations` passed on to both micros. Timing: run it on a quiet machine.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { positiveNumber, readArgs } from './args.js';
import type { MicroResult } from './micro.js';
import { median } from './stats.js';

const ROWS = ['ES256-guard', 'RS256-guard', 'ES256-cache', 'RS256-cache', 'opaque'] as const;
const run = promisify(execFile);

const args = readArgs(process.argv.slice(2), { against: { type: 'string' }, rounds: { type: 'string' }, batches: { type: 'string' }, iterations: { type: 'string' } });
if (args.against === undefined) throw new TypeError('--against <dir of another built checkout> is required');
const builds = { baseline: path.resolve(args.against, 'bench/dist/micro.js'), current: path.resolve(import.meta.dirname, 'micro.js') };
if (!fs.existsSync(builds.baseline)) throw new TypeError(`${builds.baseline} does not exist: install and build that checkout first (npm ci && npm run build)`);
const rounds = positiveNumber(args, 'rounds', 3);
const passed = [
  ...(args.batches === undefined ? [] : ['--batches', String(positiveNumber(args, 'batches', 15))]),
  ...(args.iterations === undefined ? [] : ['--iterations', String(positiveNumber(args, 'iterations', 1000))]),
];

type Build = keyof typeof builds;
const samples: Record<Build, Record<string, { micros: number[]; ratios: number[] }>> = { baseline: {}, current: {} };

async function runMicro(build: Build): Promise<void> {
  // Its own directory: the micro resolves @resource-guard/* from the checkout it belongs to.
  const { stdout } = await run(process.execPath, [builds[build], ...passed], { cwd: path.dirname(builds[build]), maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as MicroResult;
  for (const id of ROWS) {
    const row = result.rows.find((candidate) => candidate.id === id);
    const entry = (samples[build][id] ??= { micros: [], ratios: [] });
    if (row?.micros !== undefined) entry.micros.push(row.micros);
    if (row?.ratio !== undefined) entry.ratios.push(row.ratio);
  }
}

console.log(`micro A/B: ${rounds} rounds, baseline ${args.against}; CPU µs per call (ratio to node:crypto.verify)`);
for (let round = 0; round < rounds; round += 1) {
  const order: Build[] = round % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline'];
  for (const build of order) await runMicro(build);
  console.log(`round ${round + 1} of ${rounds} done`);
}

const format = (values: number[]): string => values.map((value) => value.toFixed(2)).join(' · ');
console.log('| row | baseline µs (rounds) | median | ratio | this build µs (rounds) | median | ratio | change |');
console.log('|---|---|---:|---:|---|---:|---:|---:|');
for (const id of ROWS) {
  const [a, b] = [samples.baseline[id], samples.current[id]];
  if (a === undefined || b === undefined || a.micros.length === 0 || b.micros.length === 0) {
    console.log(`| ${id} | (not measured) | | | | | | |`);
    continue;
  }
  const [ma, mb] = [median(a.micros), median(b.micros)];
  const ratio = (values: number[]): string => (values.length === 0 ? '' : `${median(values).toFixed(2)}×`);
  console.log(`| ${id} | ${format(a.micros)} | ${ma.toFixed(2)} | ${ratio(a.ratios)} | ${format(b.micros)} | ${mb.toFixed(2)} | ${ratio(b.ratios)} | ${(((mb - ma) / ma) * 100).toFixed(1)} % |`);
}
