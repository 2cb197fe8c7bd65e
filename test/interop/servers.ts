/**
 * The real-server part of `npm run interop` (started by scripts/interop/servers.mjs): every
 * installed server is started, configured, run through each adapter and stopped, one after the
 * other; writes test-output/interop/servers.json for scripts/interop/run.mjs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runCases } from './runner.js';
import { djangoOauthToolkit } from './servers/dot.js';
import { lemonLdapNg } from './servers/lemonldap.js';
import { devAuthorizationServer } from './servers/dev-as.js';
import { glewlwyd } from './servers/glewlwyd.js';
import type { InteropRow, InteropSubject } from './types.js';

const SUBJECTS: readonly InteropSubject[] = [djangoOauthToolkit, lemonLdapNg, devAuthorizationServer, glewlwyd];

const root = path.resolve(import.meta.dirname, '../..');
const only = process.argv.slice(2);
const rows: InteropRow[] = [];
const skipped: Array<{ subject: string; install: string }> = [];
const versions: Record<string, string> = {
  node: process.version,
  '@resource-guard/core': (JSON.parse(fs.readFileSync(path.join(root, 'packages/core/package.json'), 'utf8')) as { version: string }).version,
};
for (const subject of SUBJECTS) {
  if (only.length > 0 && !only.includes(subject.name)) continue;
  const installed = subject.versions();
  if (installed === undefined) {
    skipped.push({ subject: subject.name, install: subject.install });
    continue;
  }
  Object.assign(versions, installed);
  const started = Date.now();
  try {
    const running = await subject.start();
    try {
      rows.push(...await runCases(subject.name, running.cases));
    } finally {
      await running.close();
    }
  } catch (error) {
    rows.push({ subject: subject.name, flow: 'start and configure', adapter: '-', expected: 'running', verdict: 'fail',
      code: error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`.slice(0, 2000) : String(error) });
  }
  console.log(`${subject.name}: ${rows.filter((row) => row.subject === subject.name && row.verdict === 'pass').length} pass, `
    + `${rows.filter((row) => row.subject === subject.name && row.verdict === 'fail').length} fail (${Math.round((Date.now() - started) / 1000)} s)`);
}
const out = path.join(root, 'test-output/interop');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'servers.json'), `${JSON.stringify({ part: 'servers', generatedAt: new Date().toISOString(), versions, rows, skipped }, null, 2)}\n`);
