#!/usr/bin/env node
// `npm run interop`: runs each part script of this directory that exists (servers.mjs, runtimes.mjs),
// each writing test-output/interop/<part>.json as
//   { part, generatedAt, versions: { name: version },
//     rows: [{ subject, flow, adapter, expected, verdict: 'pass'|'fail'|'skipped', code?, note? }],
//     skipped: [{ subject, install }] }
// then renders the matrix into docs/interop.md (matrix.mjs; the intro above the generated section
// is written by hand). Exit 1 on any fail; with CI=true also on anything skipped. Without CI, a
// skipped subject prints the one command that installs it, and docs/interop.md is left as it is
// unless nothing was skipped (a partial run never replaces the published matrix).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { renderDocument, summarize } from './matrix.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const PARTS = ['servers', 'runtimes'];
const DOC = path.join(root, 'docs/interop.md');

const results = [];
const missingParts = [];
for (const part of PARTS) {
  const script = path.join(import.meta.dirname, `${part}.mjs`);
  if (!fs.existsSync(script)) continue;
  const output = path.join(root, 'test-output/interop', `${part}.json`);
  fs.rmSync(output, { force: true });
  console.log(`interop: ${part}`);
  const run = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
  if (!fs.existsSync(output)) {
    console.error(`interop: ${part}.mjs wrote no ${path.relative(root, output)} (exit ${run.status ?? run.signal})`);
    missingParts.push(part);
    continue;
  }
  results.push(JSON.parse(fs.readFileSync(output, 'utf8')));
}

const summary = summarize(results, { ci: process.env.CI === 'true', missingParts });
for (const row of summary.failures) {
  console.error(`FAIL ${row.subject} · ${row.flow} · ${row.adapter}: expected ${row.expected}, got ${row.code ?? 'nothing'}`);
}
for (const { subject, install } of summary.skipped) console.warn(`skipped ${subject}: not installed (${install})`);
console.log(`interop: ${summary.passed} pass, ${summary.failures.length} fail, ${summary.skipped.length} skipped`);
if (summary.writeDoc) {
  fs.writeFileSync(DOC, renderDocument(fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : '# Interoperability\n', results));
  console.log(`interop: wrote ${path.relative(root, DOC)}`);
} else if (results.length > 0) {
  console.log(`interop: ${path.relative(root, DOC)} left as it is (a partial run never replaces the published matrix)`);
}
if (summary.exitCode !== 0 && process.env.CI === 'true' && summary.skipped.length > 0) {
  console.error('interop: CI=true and something was skipped: CI must run every part (.ci/run installs the packages)');
}
process.exitCode = summary.exitCode;
