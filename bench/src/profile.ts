/**
 * CPU profile of the resource-guard hot path: runs the micro benchmark (guard only, one algorithm)
 * or the introspection flood under `node --cpu-prof`, then prints where the time went: self time
 * per function, and time per area (core file, node:crypto, GC, ...).
 *
 *   node dist/profile.js [--target micro|flood|dpop|server] [--alg ES256|RS256] [--iterations N]
 *                        [--scenario ID (server: default express-rg-es256)] [--dir DIR]
 *
 * `server` profiles one API server child (adapter + framework + guard) under 6 s of load.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readArgs } from './args.js';
import { runChild, startServer } from './children.js';
import { SCENARIOS } from './config.js';
import { credentialFor } from './credentials.js';
import { runLoad } from './load.js';
import { appConfig, createWorld } from './setup.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  selfByFunction: Array<{ name: string; ms: number; share: number }>;
  byArea: Array<{ area: string; ms: number; share: number }>;
  inclusiveCore: Array<{ name: string; ms: number; share: number }>;
}

function where(frame: ProfileNode['callFrame']): { name: string; area: string } {
  const url = frame.url;
  const file = url === '' ? '' : path.basename(url.replace(/^file:\/\//, ''));
  const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  let area: string;
  if (url === '') area = fn.startsWith('(') ? fn : `native ${fn}`;
  else if (url.includes('/packages/core/')) area = `core ${file}`;
  else if (url.includes('/packages/')) area = `adapter ${file}`;
  else if (url.startsWith('node:')) area = url;
  else if (url.includes('/node_modules/')) area = `dependency ${url.split('/node_modules/').pop()!.split('/')[0]}`;
  else area = `bench ${file}`;
  return { name: `${fn} ${file === '' ? '' : `${file}:${frame.lineNumber + 1}`}`.trim(), area };
}

export function summarize(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const samples = profile.samples.length;
  const msPerSample = totalMs / samples;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const node of profile.nodes) {
    const { name, area } = where(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + node.hitCount);
    areas.set(area, (areas.get(area) ?? 0) + node.hitCount);
  }
  // Inclusive time of core functions: a node's hits plus its subtree's, counted once per stack.
  const inclusive = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    let hits = node.hitCount;
    const { name, area } = where(node.callFrame);
    const core = area.startsWith('core ') && !onStack.has(name);
    if (core) onStack.add(name);
    for (const child of node.children ?? []) hits += walk(child, onStack);
    if (core) {
      onStack.delete(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + hits);
    }
    return hits;
  };
  walk(profile.nodes[0]!.id, new Set());
  const rank = (map: Map<string, number>, limit: number) => [...map]
    .sort((a, b) => b[1] - a[1]).slice(0, limit)
    .map(([key, hits]) => ({ key, ms: hits * msPerSample, share: hits / samples }));
  return {
    file,
    totalMs,
    selfByFunction: rank(self, top).map(({ key, ms, share }) => ({ name: key, ms, share })),
    byArea: rank(areas, top).map(({ key, ms, share }) => ({ area: key, ms, share })),
    inclusiveCore: rank(inclusive, top).map(({ key, ms, share }) => ({ name: key, ms, share })),
  };
}

export function renderSummary(title: string, summary: ProfileSummary): string {
  const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
  const lines = [`### ${title}`, '', `Profile: ${summary.file} (${(summary.totalMs / 1000).toFixed(1)} s)`, ''];
  lines.push('| self time by area | share |', '|---|---:|');
  for (const row of summary.byArea) lines.push(`| ${row.area} | ${percent(row.share)} |`);
  lines.push('', '| self time by function | share |', '|---|---:|');
  for (const row of summary.selfByFunction) lines.push(`| ${row.name} | ${percent(row.share)} |`);
  lines.push('', '| inclusive time, core functions | share |', '|---|---:|');
  for (const row of summary.inclusiveCore) lines.push(`| ${row.name} | ${percent(row.share)} |`);
  lines.push('');
  return lines.join('\n');
}

function newest(dir: string): string {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).map((name) => path.join(dir, name));
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const values = readArgs(process.argv.slice(2), {
    dir: { type: 'string' }, target: { type: 'string' }, alg: { type: 'string' }, scenario: { type: 'string' },
    count: { type: 'string' }, iterations: { type: 'string' },
  });
  const value = (name: keyof typeof values, fallback: string): string => values[name] ?? fallback;
  const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = path.resolve(value('dir', path.join(benchDir, 'results', 'profiles')));
  const target = value('target', 'micro');
  const alg = value('alg', 'ES256');
  const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250'];
  if (target === 'server') {
    const scenario = SCENARIOS.find((candidate) => candidate.id === value('scenario', 'express-rg-es256'));
    if (scenario === undefined) throw new TypeError(`unknown --scenario; one of ${SCENARIOS.map((candidate) => candidate.id).join(', ')}`);
    const world = await createWorld();
    const handle = await startServer(appConfig(scenario, world.server, world.redis), flags);
    if (handle.status !== 'ready') throw new Error(handle.reason);
    const credential = credentialFor(scenario.token, world.tokens, handle.url);
    credential.prepare(60_000);
    await runLoad({
      url: handle.url, connections: 50, duration: 6,
      ...(credential.rotating ? { next: () => credential.valid() } : { headers: credential.valid() }),
    });
    await handle.stop();
    await world.close();
  } else if (target === 'flood') {
    await runChild('flood', ['--count', value('count', '100000'), '--time-limit', '60'], [...flags, '--expose-gc']);
  } else {
    const iterations = value('iterations', target === 'dpop' ? '4000' : '20000');
    await runChild('micro', ['--only-guard', '--alg', alg, '--iterations', iterations, '--batches', '3', ...(target === 'dpop' ? ['--dpop'] : [])], flags);
  }
  const title = target === 'server' ? `server ${value('scenario', 'express-rg-es256')}` : target === 'flood' ? 'flood' : `${target} ${alg}`;
  console.log(renderSummary(title, summarize(newest(dir))));
}
