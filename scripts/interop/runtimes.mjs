#!/usr/bin/env node
/**
 * The runtime part of the interop suite: the fetch adapter inside real Bun, Deno and workerd,
 * against the dev authorization server on loopback. Each runtime installs from the npm registry
 * into `test-output/runtimes/<name>` (not a workspace dependency), serves `runtimes/app.mjs` on a
 * loopback port, and the cases of `runtimes/cases.mjs` are sent to it from here. Bun and Deno run
 * twice: on the package as their own resolver picks it (the `node` condition: `node:crypto`), and
 * on the one-module WebCrypto bundle a Worker gets; workerd runs the bundle.
 *
 * Writes test-output/interop/runtimes.json; exits 1 on any failed row, and on any skipped runtime
 * when CI=true. Run it with `npm run interop:runtimes` (builds first).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { RESOURCES, startAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import { createCases, describeExpected, judgeCase } from './runtimes/cases.mjs';
import { ensureInstalled, installCommand } from './runtimes/install.mjs';
import { startLocalIssuer } from './runtimes/local-issuer.mjs';
import { workerdConfig } from './runtimes/workerd-config.mjs';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'runtimes');
const ROOT = join(HERE, '..', '..', '..');
const WORK = join(ROOT, 'test-output', 'runtimes');
const OUTPUT = join(ROOT, 'test-output', 'interop', 'runtimes.json');
/** The conditions Wrangler bundles a Worker with (and Next.js's Edge runtime, `worker`/`browser`). */
const WORKER_CONDITIONS = ['workerd', 'worker', 'browser'];

/** Pinned runtimes: npm package, version, and the binary inside it. */
const RUNTIMES = [
  { name: 'bun', pkg: 'bun', version: '1.4.5', bin: 'bin/bun.exe' },
  { name: 'deno', pkg: 'deno', version: '2.9.6', bin: 'deno' },
  { name: 'workerd', pkg: 'workerd', version: '1.20261123.1', bin: 'bin/workerd' },
];

/** A free loopback port (the server binds it right after: a race only with another process). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** esbuild: `entry` with `@resource-guard/fetch` and the core, as one ES module for a Worker. */
async function bundle(entry, outfile) {
  await build({
    ...entry, outfile, bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
    conditions: WORKER_CONDITIONS, mainFields: ['module', 'main'], logLevel: 'warning',
  });
  return outfile;
}

/** The command line that serves the app on each runtime. */
function serverCommand(runtime, binary, port, config) {
  if (runtime.name === 'bun') return [binary, [join(HERE, 'bun-server.mjs')]];
  if (runtime.name === 'deno') {
    // Least privilege: loopback network, the one variable, and reading the repository (a dynamic
    // import needs it: the package from node_modules, or the bundle).
    return [binary, ['run', '--no-lock', '--allow-net=127.0.0.1', '--allow-env=RG_CONFIG', `--allow-read=${ROOT}`, join(HERE, 'deno-server.mjs')]];
  }
  const folder = join(WORK, 'workerd-run');
  mkdirSync(folder, { recursive: true });
  const configPath = join(folder, 'config.capnp');
  writeFileSync(configPath, workerdConfig({ port, modulePath: 'worker.mjs', config, compatibilityDate: '2026-11-01' }));
  return [binary, ['serve', configPath]];
}

/** Starts a server and resolves once `/backend` answers; rejects with its output if it exits. */
async function startServer(command, args, env, base) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env, DENO_DIR: join(WORK, 'deno', 'cache'), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let attempt = 0; attempt < 150; attempt += 1) {
    const done = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(resolve, 200, false))]);
    if (done) throw new Error(`the server exited: ${output.trim().slice(-2000)}`);
    const response = await fetch(`${base}/backend`).catch(() => undefined);
    if (response?.ok) return { child, backend: (await response.json()).backend, output: () => output };
  }
  child.kill();
  throw new Error(`the server did not answer within 30 s: ${output.trim().slice(-2000)}`);
}

/** Runs the cases on one subject; returns its rows. */
async function runSubject({ subject, runtime, binary, adapter, expectedBackend }, context) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const resource = `${base}/api`;
  const config = {
    port, adapter, resource, devIssuer: context.dev.issuer, devAudiences: [RESOURCES.jwt, RESOURCES.opaque],
    introspection: { clientId: context.dev.clients.resourceServer.clientId, clientSecret: context.dev.clients.resourceServer.clientSecret },
    localIssuer: context.local.issuer, localJwksUri: context.local.jwksUri,
  };
  const row = (flow, expected, result) => ({ subject, flow, adapter: 'fetch', expected, ...result });
  const [command, args] = serverCommand(runtime, binary, port, config);
  let server;
  try {
    server = await startServer(command, args, { RG_CONFIG: JSON.stringify(config) }, base);
  } catch (error) {
    return [row('server starts', 'listening', { verdict: 'fail', note: error.message })];
  }
  try {
    const rows = [row('crypto backend', expectedBackend, server.backend === expectedBackend
      ? { verdict: 'pass', note: server.backend } : { verdict: 'fail', note: `loaded ${server.backend}` })];
    for (const testCase of await createCases({ base, resource, dev: context.dev, local: context.local })) {
      const result = await judgeCase(testCase);
      if (result.verdict === 'fail') result.note = `${result.note}; server output: ${server.output().trim().slice(-500)}`;
      rows.push(row(testCase.flow, describeExpected(testCase.expected), result));
    }
    return rows;
  } finally {
    server.child.kill();
  }
}

/** `bun --version` and the like, first line. */
function versionOf(binary) {
  return new Promise((resolve) => {
    const child = spawn(binary, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (chunk) => { text += chunk; });
    child.once('exit', () => resolve(text.split('\n')[0].trim()));
    child.once('error', () => resolve('unknown'));
  });
}

async function main() {
  mkdirSync(WORK, { recursive: true });
  const webBundle = pathToFileURL(await bundle({ stdin: { contents: "export * from '@resource-guard/fetch';", resolveDir: HERE, loader: 'js' } }, join(WORK, 'bundle', 'fetch-webcrypto.mjs'))).href;
  await bundle({ entryPoints: [join(HERE, 'workerd-worker.mjs')] }, join(WORK, 'workerd-run', 'worker.mjs'));
  const dev = await startAuthorizationServer();
  const local = await startLocalIssuer();
  const report = { part: 'runtimes', generatedAt: new Date().toISOString(), versions: {}, rows: [], skipped: [] };
  try {
    for (const runtime of RUNTIMES) {
      let binary;
      try {
        binary = await ensureInstalled(ROOT, runtime);
      } catch (error) {
        report.skipped.push({ subject: `${runtime.name} ${runtime.version}`, install: installCommand(runtime.name, runtime.pkg, runtime.version), note: error.message.slice(0, 500) });
        continue;
      }
      const version = await versionOf(binary);
      report.versions[runtime.name] = version;
      const subject = `${runtime.name} ${runtime.version}`;
      const subjects = runtime.name === 'workerd'
        ? [{ subject, adapter: 'worker.mjs', expectedBackend: 'webcrypto' }]
        : [
          { subject, adapter: '@resource-guard/fetch', expectedBackend: 'node' },
          { subject: `${subject} (WebCrypto bundle)`, adapter: webBundle, expectedBackend: 'webcrypto' },
        ];
      for (const entry of subjects) {
        const rows = await runSubject({ ...entry, runtime, binary }, { dev, local });
        report.rows.push(...rows);
        const failed = rows.filter((item) => item.verdict === 'fail');
        console.log(`${entry.subject}: ${rows.length - failed.length} passed, ${failed.length} failed`);
        for (const item of failed) console.log(`  FAIL ${item.flow}: expected ${item.expected}; ${item.note}`);
      }
    }
  } finally {
    await local.close();
    await dev.close();
  }
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
  const failed = report.rows.filter((item) => item.verdict === 'fail').length;
  for (const item of report.skipped) console.log(`SKIPPED ${item.subject}: install with \`${item.install}\``);
  console.log(`runtimes: ${report.rows.length - failed} passed, ${failed} failed${report.skipped.length ? `, ${report.skipped.length} skipped` : ''}`);
  if (failed > 0 || (process.env.CI === 'true' && report.skipped.length > 0)) process.exitCode = 1;
}

await main();
