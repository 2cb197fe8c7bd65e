/**
 * Fault injection under load: the real dev authorization server (oidc-provider) behind a
 * switchable loopback front, the Express sample API in its own process, and a bounded load of
 * good and bad JWT and opaque tokens. Each fault (AS down and back, signing key rotated,
 * introspection slower than the timeout, AS answering 500, AS answering garbage) is one row:
 * requests, good accepted, bad refused, 503s, other 5xx (must be 0), crashes (0), wrong grants
 * (0), time to recover. With `redis-server` installed, the API keeps its caches and replay markers
 * in a real Redis, and two more rows kill and restart it, and pause it. `npm run faults` (from the
 * root: builds first); loopback only; about a minute.
 *
 * Flags: `--concurrency N` (16), `--during S` (fault length, 2), `--out FILE` (markdown report).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import {
  CLIENTS, RESOURCES, createProvider, startAuthorizationServer,
} from '@resource-guard-tools/dev-authorization-server';
import { redisServerInstalled, startRedisServer, type TestRedisServer } from '@resource-guard-tools/launchers';

type Mode = 'ok' | 'down' | 'slow' | 'error500' | 'garbage';
type Kind = 'goodJwt' | 'badJwt' | 'goodOpaque' | 'badOpaque' | 'oldJwt';

const { values: flags } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '16' },
    during: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});
const CONCURRENCY = Number(flags.concurrency);
const DURING_MS = Number(flags.during) * 1000;
if (!(CONCURRENCY >= 1 && CONCURRENCY <= 256) || !(DURING_MS >= 500 && DURING_MS <= 60_000)) {
  console.error('usage: faults [--concurrency 1-256] [--during 0.5-60] [--out FILE]');
  process.exit(2);
}

/** The AS front: forwards to the current provider, or misbehaves as `mode` says. */
interface AsFront {
  issuer: string;
  mode: Mode;
  /** Milliseconds the `slow` mode holds introspection requests. */
  slowMs: number;
  swapProvider(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function startAsFront(): Promise<AsFront> {
  // The dev AS picks its port; its provider is then served by our own server on that port, so the
  // server can be stopped and started again (same issuer, same keys, same token state).
  const dev = await startAuthorizationServer();
  const { issuer, port } = dev;
  let provider = dev.provider;
  await dev.close();
  let server: http.Server | undefined;
  const front: AsFront = {
    issuer,
    mode: 'ok',
    slowMs: 0,
    swapProvider() {
      // A new provider for the same issuer: new signing keys (the old ones gone from the JWKS).
      provider = createProvider(issuer);
    },
    async start() {
      const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
        const introspection = (req.url ?? '').startsWith('/token/introspection');
        const jwks = (req.url ?? '').startsWith('/jwks');
        if (front.mode === 'error500' && (introspection || jwks)) return void res.writeHead(500).end('{}');
        if (front.mode === 'garbage' && (introspection || jwks)) {
          return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"active": tr');
        }
        if (front.mode === 'slow' && introspection) {
          setTimeout(() => provider.callback()(req, res), front.slowMs).unref();
          return;
        }
        provider.callback()(req, res);
      };
      server = http.createServer(handler);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
    },
    stop: () => new Promise<void>((resolve) => {
      if (server === undefined) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
      server = undefined;
    }),
  };
  await front.start();
  return front;
}

/** A client-credentials token from the dev AS for `resource` (JWT or opaque). */
async function mintToken(issuer: string, resource: string): Promise<string> {
  const { clientId, clientSecret } = CLIENTS.demo;
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read', resource }),
  });
  const body = await response.json() as { access_token?: string };
  if (typeof body.access_token !== 'string') throw new Error(`token endpoint answered ${response.status}`);
  return body.access_token;
}

/** Starts the Express sample API in a child process, pointed at `issuer`. */
async function startApi(issuer: string, redisUrl: string | undefined): Promise<{ url: string; child: ChildProcess; exited: () => boolean; logs: () => string }> {
  const port = await freePort();
  const main = new URL('../../examples/express-api/dist/main.js', import.meta.url).pathname;
  const child = fork(main, [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ISSUER: issuer, PORT: String(port), INTROSPECTION_CACHE_TTL: '1', NODE_ENV: 'production', REDIS_URL: redisUrl ?? '' },
  });
  let exited = false;
  let logs = '';
  // Everything the API logs is kept, to check that no token ever reaches a log line.
  child.stdout!.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
  });
  child.once('exit', () => {
    exited = true;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sample API did not start')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { url: `http://127.0.0.1:${port}/orders`, child, exited: () => exited, logs: () => logs };
}

function freePort(): Promise<number> {
  const probe = http.createServer();
  return new Promise((resolve) => probe.listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  }));
}

/** One request: when it started and ended (epoch ms), what it carried, what it got (-1: no answer). */
interface Sample { start: number; at: number; kind: Kind; status: number }

/** A bounded load: `CONCURRENCY` loops, each cycling through the four kinds, until `stop()`. */
function startLoad(url: string, tokens: () => Record<Kind, string>, kinds: readonly Kind[]): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: CONCURRENCY }, async (_unused, index) => {
    for (let i = index; running && samples.length < 2_000_000; i += 1) {
      const kind = kinds[i % kinds.length]!;
      const start = Date.now();
      let status = 0;
      try {
        const response = await fetch(url, { headers: { authorization: `Bearer ${tokens()[kind]}` }, signal: AbortSignal.timeout(15_000) });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = -1; // connection refused or reset: the API is down
      }
      samples.push({ start, at: Date.now(), kind, status });
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

interface Row {
  fault: string;
  requests: number;
  goodAccepted: string;
  badRefused: string;
  unavailable: number;
  other5xx: number;
  crashes: number;
  wrongGrants: number;
  recoverMs: number | undefined;
  note: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const front = await startAsFront();
  const redis: TestRedisServer | undefined = redisServerInstalled ? await startRedisServer() : undefined;
  const api = await startApi(front.issuer, redis?.url);
  const tokens: Record<Kind, string> = {
    goodJwt: await mintToken(front.issuer, RESOURCES.jwt),
    goodOpaque: await mintToken(front.issuer, RESOURCES.opaque),
    badJwt: '',
    badOpaque: randomBytes(32).toString('base64url'),
    oldJwt: '',
  };
  const tamper = (jwt: string) => {
    const [header, payload, signature] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    return `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'orders:read admin' })).toString('base64url')}.${signature}`;
  };
  tokens.badJwt = tamper(tokens.goodJwt);

  const kinds: Kind[] = ['goodJwt', 'badJwt', 'goodOpaque', 'badOpaque'];
  interface Fault {
    name: string;
    kinds?: Kind[];
    afterMs?: number;
    /** When the tokens in use were replaced (epoch ms): opaque tokens sent before that belong to a state the AS lost. */
    switchedAt?: number;
    apply(): Promise<void>;
    clear(): Promise<void>;
  }
  const rotation: Fault = {
    name: 'signing key rotated (new key published, old removed)',
    kinds: [...kinds, 'oldJwt'],
    async apply() {
      // The new provider's tokens are minted before any is sent: the first one the API sees has
      // an unknown kid, which makes it refetch the key set (and forget the old key).
      const old = tokens.goodJwt;
      front.swapProvider();
      const [jwt, opaque] = [await mintToken(front.issuer, RESOURCES.jwt), await mintToken(front.issuer, RESOURCES.opaque)];
      Object.assign(tokens, { goodJwt: jwt, goodOpaque: opaque, badJwt: tamper(jwt), oldJwt: old });
      rotation.switchedAt = Date.now();
    },
    async clear() {},
  };
  const faults: Fault[] = [
    { name: 'AS down, then back (same keys, same state)', apply: () => front.stop(), clear: () => front.start() },
    rotation,
    {
      name: 'introspection slower than the API\'s timeout (5 s)',
      // A lookup that joined a slow call made during the fault waits for its timeout: up to 5 s.
      afterMs: 7000,
      async apply() {
        front.slowMs = 6_000;
        front.mode = 'slow';
      },
      async clear() {
        front.mode = 'ok';
      },
    },
    { name: 'AS answers HTTP 500 (JWKS, introspection)', async apply() { front.mode = 'error500'; }, async clear() { front.mode = 'ok'; } },
    { name: 'AS answers garbage (JWKS, introspection)', async apply() { front.mode = 'garbage'; }, async clear() { front.mode = 'ok'; } },
  ];
  if (redis !== undefined) {
    // The introspection cache falls through to the AS while Redis is away: nothing should fail.
    faults.push(
      { name: 'Redis killed, then restarted (empty)', apply: () => redis.kill(), clear: () => redis.restart() },
      { name: 'Redis paused (SIGSTOP), then resumed', async apply() { redis.pause(); }, async clear() { redis.resume(); } },
    );
  }

  const rows: Row[] = [];
  for (const fault of faults) {
    // Until the rotation, the old-key token is the current one.
    tokens.oldJwt = tokens.goodJwt;
    const load = startLoad(api.url, () => tokens, fault.kinds ?? kinds);
    await sleep(1000);
    const faultAt = Date.now();
    await fault.apply();
    await sleep(fault.name.startsWith('introspection') ? 7_000 : DURING_MS);
    await fault.clear();
    const clearedAt = Date.now();
    await sleep(fault.afterMs ?? 3000);
    await load.stop();
    rows.push(summarise(fault.name, load.samples, faultAt, clearedAt, api.exited(), fault.switchedAt));
    tokens.badJwt = tamper(tokens.goodJwt);
  }
  api.child.kill();
  await front.stop();
  await redis?.stop();

  const logs = api.logs();
  const leaked = Object.values(tokens).filter((token) => token.length > 0 && logs.includes(token)).length;
  const store = redis === undefined ? 'memory store (redis-server not installed: the Redis rows were skipped)' : 'Redis store on a real redis-server';
  const report = `${render(rows)}\n\nAPI store: ${store}. Tokens found in the API's ${logs.split('\n').length} log lines: ${leaked}.`;
  console.log(report);
  if (flags.out !== undefined) writeFileSync(flags.out, `${report}\n`);
  const failed = leaked > 0 || rows.some((row) => row.other5xx > 0 || row.crashes > 0 || row.wrongGrants > 0 || row.recoverMs === undefined);
  process.exit(failed ? 1 : 0);
}

function summarise(fault: string, all: readonly Sample[], faultAt: number, clearedAt: number, crashed: boolean, switchedAt?: number): Row {
  // The dev AS keeps opaque tokens in memory: a new provider does not know those of the old one.
  const lostState = (sample: Sample) => switchedAt !== undefined && sample.kind === 'goodOpaque' && sample.start >= faultAt && sample.start <= switchedAt;
  const samples = all.filter((sample) => !lostState(sample));
  const lost = all.length - samples.length;
  const good = samples.filter((sample) => sample.kind.startsWith('good'));
  const bad = samples.filter((sample) => sample.kind.startsWith('bad'));
  // Recovered: counted from the end of the fault to the start of the last good request that still
  // failed; every good request started after that passed.
  const lastGoodFailure = good.filter((sample) => sample.at >= clearedAt && sample.status !== 200).at(-1)?.start;
  const firstAfter = good.find((sample) => sample.start > (lastGoodFailure ?? clearedAt) && sample.status === 200);
  const old = samples.filter((sample) => sample.kind === 'oldJwt' && sample.start >= faultAt);
  const note = old.length === 0 ? '' : `old-key token after the rotation: ${old.filter((sample) => sample.status === 200).length} accepted until the API refetched the key set, ${old.filter((sample) => sample.status === 401).length} refused after; ${lost} requests with an opaque token of the replaced provider (its token state is gone with it) left out`;
  return {
    fault,
    requests: samples.length,
    goodAccepted: `${good.filter((sample) => sample.status === 200).length}/${good.length}`,
    badRefused: `${bad.filter((sample) => sample.status === 401).length}/${bad.length}`,
    unavailable: samples.filter((sample) => sample.status === 503 && sample.at >= faultAt).length,
    other5xx: samples.filter((sample) => sample.status >= 500 && sample.status !== 503).length,
    crashes: crashed || samples.some((sample) => sample.status === -1) ? 1 : 0,
    wrongGrants: bad.filter((sample) => sample.status === 200).length,
    recoverMs: firstAfter === undefined ? undefined : Math.max(0, (lastGoodFailure ?? clearedAt) - clearedAt),
    note,
  };
}

function render(rows: readonly Row[]): string {
  const lines = [
    `Fault injection: dev AS (oidc-provider) + Express sample API, ${CONCURRENCY} concurrent loops, fault ${DURING_MS / 1000} s (introspection: 7 s).`,
    '',
    '| fault | requests | good accepted | bad refused | 503s during/after the fault | other 5xx | crashes | wrong grants | recovered after |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.fault} | ${row.requests} | ${row.goodAccepted} | ${row.badRefused} | ${row.unavailable} | ${row.other5xx} | ${row.crashes} | ${row.wrongGrants} | ${row.recoverMs === undefined ? 'never' : `${row.recoverMs} ms`} |`),
    '',
    ...rows.filter((row) => row.note !== '').map((row) => `${row.fault}: ${row.note}.`),
  ];
  return lines.join('\n');
}

await main();
