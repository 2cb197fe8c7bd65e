/**
 * What single statements of the verified-token-cache path cost inside a loaded server, against
 * the same statements in a hot loop. Evidence for the README's note on the cache's throughput
 * target: on a small shared VM every request runs with cold caches.
 *
 *   node dist/cold-costs.js [--seconds S (6)] [--connections N (50)]
 *
 * The parent starts a bare Express server (a child, `--serve`) with one middleware that times,
 * with `process.hrtime.bigint()`, a SHA-256 of the bearer token (the cache key) and one property
 * added to `req`; autocannon loads it; the child then reports the mean per request. The timer's
 * own cost is measured the same way (an empty interval) and subtracted.
 */
import { fork } from 'node:child_process';
import * as crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { positiveNumber, readArgs } from './args.js';
import { runLoad } from './load.js';

type Totals = { requests: number; hash: number; property: number; timer: number };

function serve(): void {
  const totals: Totals = { requests: 0, hash: 0, property: 0, timer: 0 };
  const app = express();
  app.use((req, _res, next) => {
    const token = (req.headers.authorization ?? '').slice(7);
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    const key = crypto.hash('sha256', token, 'binary');
    const t2 = process.hrtime.bigint();
    (req as unknown as Record<string, unknown>).probe = key;
    const t3 = process.hrtime.bigint();
    totals.requests += 1;
    totals.timer += Number(t1 - t0);
    totals.hash += Number(t2 - t1);
    totals.property += Number(t3 - t2);
    next();
  });
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  const server = http.createServer(app).listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
  process.on('message', (message) => {
    if (message === 'reset') Object.assign(totals, { requests: 0, hash: 0, property: 0, timer: 0 });
    if (message === 'report') process.send?.(totals);
  });
  process.on('disconnect', () => process.exit(0));
}

/** Mean ns per call of `fn` in a hot loop, timed the same way as in the server. */
function hotLoop(fn: () => void, iterations = 20_000): number {
  for (let i = 0; i < 2000; i++) fn();
  let total = 0;
  let timer = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    fn();
    const t2 = process.hrtime.bigint();
    timer += Number(t1 - t0);
    total += Number(t2 - t1);
  }
  return (total - timer) / iterations;
}

const OPTIONS = { connections: { type: 'string' }, seconds: { type: 'string' } } as const;

async function main(argv: readonly string[]): Promise<void> {
  const values = readArgs(argv, OPTIONS);
  const value = (name: string, fallback: number) => positiveNumber(values, name, fallback);
  const token = `eyJ${crypto.randomBytes(270).toString('base64url')}`;
  const child = fork(fileURLToPath(import.meta.url), ['--serve']);
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', resolve as (m: unknown) => void));
  const ask = <T>(message: string): Promise<T> => new Promise((resolve) => {
    child.once('message', resolve as (m: unknown) => void);
    child.send(message);
  });
  const load = { url: `http://127.0.0.1:${port}/`, connections: value('connections', 50), headers: { authorization: `Bearer ${token}` } };
  await runLoad({ ...load, duration: 2 });
  child.send('reset');
  await runLoad({ ...load, duration: value('seconds', 6) });
  const totals = await ask<Totals>('report');
  child.disconnect();
  const perRequest = (ns: number) => (ns - totals.timer) / totals.requests / 1000;
  let sink: unknown;
  const hot = {
    hash: hotLoop(() => crypto.hash('sha256', token, 'binary')) / 1000,
    property: hotLoop(() => {
      const object: Record<string, unknown> = { method: 'GET' };
      object.probe = token;
      sink = object;
    }) / 1000,
  };
  if (sink === undefined) throw new Error('unreachable');
  console.log(`${totals.requests} requests under load (${load.connections} connections)`);
  console.log('| statement | under load, µs/request | hot loop, µs/call |');
  console.log('|---|---:|---:|');
  console.log(`| crypto.hash('sha256', token) | ${perRequest(totals.hash).toFixed(2)} | ${hot.hash.toFixed(2)} |`);
  console.log(`| one property added (Express's req / a fresh object) | ${perRequest(totals.property).toFixed(2)} | ${hot.property.toFixed(2)} |`);
}

if (process.argv.includes('--serve')) serve();
else await main(process.argv.slice(2));
