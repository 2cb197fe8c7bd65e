#!/usr/bin/env node
// `npm run interop`: runs each part script of this directory that exists (servers.mjs, runtimes.mjs),
// each writing test-output/interop/<part>.json as
//   { part, generatedAt, versions: { name: version },
//     rows: [{ subject, flow, adapter, expected, verdict: 'pass'|'fail'|'skipped', code?, note? }],
//     skipped: [{ subject, install }] }
// then renders the matrix into docs/interop.md (between the generated-section markers; the intro
// above them is written by hand). Exit 1 on any fail; with CI=true also on anything skipped.
// Without CI, a skipped subject prints the one command that installs it, and docs/interop.md is
// left as it is unless every subject ran (a partial run never replaces the published matrix).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const PARTS = ['servers', 'runtimes'];
const DOC = path.join(root, 'docs/interop.md');
const START = '<!-- interop:generated:start (scripts/interop/run.mjs writes what follows) -->';
const END = '<!-- interop:generated:end -->';
const ci = process.env.CI === 'true';

const results = [];
let failed = false;
for (const part of PARTS) {
  const script = path.join(import.meta.dirname, `${part}.mjs`);
  if (!fs.existsSync(script)) continue;
  const output = path.join(root, 'test-output/interop', `${part}.json`);
  fs.rmSync(output, { force: true });
  console.log(`interop: ${part}`);
  const run = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
  if (!fs.existsSync(output)) {
    console.error(`interop: ${part}.mjs wrote no ${path.relative(root, output)} (exit ${run.status ?? run.signal})`);
    failed = true;
    continue;
  }
  results.push(JSON.parse(fs.readFileSync(output, 'utf8')));
}

const rows = results.flatMap((result) => result.rows);
const skipped = results.flatMap((result) => [...result.skipped, ...result.rows.filter((row) => row.verdict === 'skipped')]);
const failures = rows.filter((row) => row.verdict === 'fail');
for (const row of failures) {
  console.error(`FAIL ${row.subject} · ${row.flow} · ${row.adapter}: expected ${row.expected}, got ${row.code ?? 'nothing'}`);
}
for (const { subject, install } of results.flatMap((result) => result.skipped)) {
  console.warn(`skipped ${subject}: not installed (${install})`);
}
console.log(`interop: ${rows.filter((row) => row.verdict === 'pass').length} pass, ${failures.length} fail, ${skipped.length} skipped`);

if (skipped.length === 0 && results.length > 0) {
  writeDoc(results);
  console.log(`interop: wrote ${path.relative(root, DOC)}`);
} else if (results.length > 0) {
  console.log(`interop: ${path.relative(root, DOC)} left as it is (a partial run never replaces the published matrix)`);
}
if (failures.length > 0 || failed) process.exitCode = 1;
else if (ci && skipped.length > 0) {
  console.error('interop: CI=true and something was skipped: CI must run every part (.ci/run installs the packages)');
  process.exitCode = 1;
}

function writeDoc(parts) {
  const existing = fs.existsSync(DOC) ? fs.readFileSync(DOC, 'utf8') : `# Interoperability\n\n${START}\n${END}\n`;
  const head = existing.includes(START) ? existing.slice(0, existing.indexOf(START)) : `${existing.trimEnd()}\n\n`;
  const tail = existing.includes(END) ? existing.slice(existing.indexOf(END) + END.length) : '\n';
  fs.writeFileSync(DOC, `${head}${START}\n${parts.map(renderPart).join('\n')}${END}${tail}`);
}

function cell(text) {
  return String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function renderPart(result) {
  const title = result.part.charAt(0).toUpperCase() + result.part.slice(1);
  const lines = [`## ${title}`, '', `Run ${result.generatedAt.slice(0, 10)} (${result.generatedAt}). Versions:`, ''];
  lines.push('| component | version |', '|---|---|');
  for (const [name, version] of Object.entries(result.versions).sort()) lines.push(`| ${cell(name)} | ${cell(version)} |`);
  lines.push('');
  const subjects = [...new Set(result.rows.map((row) => row.subject))];
  for (const subject of subjects) {
    const mine = result.rows.filter((row) => row.subject === subject);
    const adapters = [...new Set(mine.map((row) => row.adapter))];
    const flows = [...new Set(mine.map((row) => row.flow))];
    lines.push(`### ${subject}`, '', `| flow | expected | ${adapters.join(' | ')} | note |`, `|---|---|${adapters.map(() => '---|').join('')}---|`);
    for (const flow of flows) {
      const of = mine.filter((row) => row.flow === flow);
      const cells = adapters.map((adapter) => {
        const row = of.find((candidate) => candidate.adapter === adapter);
        if (row === undefined) return '–';
        if (row.verdict === 'pass') return '✓';
        if (row.verdict === 'skipped') return 'skipped';
        return `✗ \`${cell(row.code ?? 'nothing')}\``;
      });
      lines.push(`| ${cell(flow)} | \`${cell(of[0].expected)}\` | ${cells.join(' | ')} | ${cell(of.find((row) => row.note)?.note ?? '')} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
