/**
 * Soak run: `npm run soak -- [--minutes N] [--connections N] [--tokens N] [--out FILE]`.
 * One Express API (JWTs, opaque tokens by introspection and DPoP-bound JWTs through one guard) in
 * its own process, 200 connections cycling through 10,000 distinct tokens (40 % JWT, 30 % opaque,
 * 30 % DPoP-bound with a fresh proof per request), in 10-second rounds. Between rounds the
 * server's RSS and heap after a full GC are sampled, and the server reports how long it held each
 * request (`latency-probe.ts`). A control round against a bare Express app shows what the machine
 * alone does to the same load. Verdict: `soak-report.ts`. Loopback only; bounded by `--minutes`.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startServer } from './children.js';
import { AUDIENCE, INTROSPECTION_CLIENT, type AppConfig } from './config.js';
import {
  createDpopKey, createDpopProofs, createSigningKey, mintAccessToken, opaqueToken, startAuthServer, type DpopKey,
} from './fixtures.js';
import { runLoad, type LoadResult } from './load.js';
import { judgeSoak, type SoakSample } from './soak-report.js';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    connections: { type: 'string', default: '200' },
    tokens: { type: 'string', default: '10000' },
    'heap-growth': { type: 'string', default: '16' },
    out: { type: 'string' },
  },
});
const minutes = Number(flags.minutes);
const connections = Number(flags.connections);
const tokenCount = Number(flags.tokens);
const heapGrowthMb = Number(flags['heap-growth']);
if (!(minutes > 0 && minutes <= 240) || !(connections >= 1 && connections <= 1000) || !(tokenCount >= 10 && tokenCount <= 1_000_000) || !(heapGrowthMb > 0)) {
  console.error('usage: soak [--minutes 0-240] [--connections 1-1000] [--tokens 10-1000000] [--heap-growth MB] [--out FILE]');
  process.exit(2);
}

type Credential = { kind: 'jwt' | 'opaque'; token: string } | { kind: 'dpop'; token: string; key: DpopKey };

async function main(): Promise<void> {
  const signing = await createSigningKey('ES256');
  const as = await startAuthServer([signing]);
  const config: AppConfig = {
    framework: 'express', kind: 'resource-guard-soak', issuer: as.issuer, jwksUri: as.jwksUri, audience: AUDIENCE, alg: 'ES256',
    introspection: { endpoint: as.introspectionEndpoint, ...INTROSPECTION_CLIENT },
  };
  const server = await startServer(config, ['--expose-gc']);
  if (server.status !== 'ready') throw new Error(`soak server skipped: ${server.reason}`);

  const credentials: Credential[] = [];
  const now = Math.floor(Date.now() / 1000);
  const lifetime = { exp: now + minutes * 60 + 3600 };
  for (let i = 0; i < tokenCount; i += 1) {
    const share = i % 10;
    if (share < 4) {
      credentials.push({ kind: 'jwt', token: await mintAccessToken(signing, as.issuer, lifetime) });
    } else if (share < 7) {
      const token = opaqueToken();
      as.activeTokens.set(token, { sub: 'user-123', client_id: 'bench-client', aud: AUDIENCE, scope: 'orders:read', ...lifetime });
      credentials.push({ kind: 'opaque', token });
    } else {
      const key = createDpopKey();
      credentials.push({ kind: 'dpop', key, token: await mintAccessToken(signing, as.issuer, { ...lifetime, cnf: { jkt: key.jkt } }) });
    }
  }
  let cursor = 0;
  const next = (): Record<string, string> => {
    const credential = credentials[cursor]!;
    cursor = (cursor + 1) % credentials.length;
    if (credential.kind !== 'dpop') return { authorization: `Bearer ${credential.token}` };
    const [proof] = createDpopProofs(credential.key, server.url, credential.token, 1);
    return { authorization: `DPoP ${credential.token}`, dpop: proof! };
  };

  // The load generator's own event loop: autocannon, the proof signing and the mock AS share it.
  const generatorLoop = monitorEventLoopDelay({ resolution: 10 });
  generatorLoop.enable();
  const round = async (second: () => number): Promise<SoakSample> => {
    generatorLoop.reset();
    const load = await runLoad({ url: server.url, connections, duration: 10, next });
    const generatorDelayMs = generatorLoop.max / 1e6;
    const latency = await server.latency();
    const memory = await server.memory();
    return { second: second(), load, rss: memory.rss, heap: memory.heapUsed, server: latency, generatorDelayMs };
  };

  // The same load on a bare Express app first: what this machine does to 200 connections by itself.
  const control = await runControl(config, connections, credentials.find((credential) => credential.kind === 'jwt')!.token);
  const started = Date.now();
  // A first round fills every cache (keys, introspection answers, proof headers) before the baseline.
  const samples: SoakSample[] = [await round(() => 0)];
  while (Date.now() - started < minutes * 60_000) samples.push(await round(() => Math.round((Date.now() - started) / 1000)));
  await server.stop();
  await as.close();

  const verdict = judgeSoak({ samples, control, heapGrowthMb, introspectionCalls: as.stats.introspection, opaqueTokens: Math.round(tokenCount * 0.3) });
  const report = [
    `Soak: ${minutes} min, ${connections} connections, ${tokenCount} distinct tokens (40 % JWT, 30 % opaque, 30 % DPoP-bound), Express.`,
    '',
    ...verdict.lines,
  ].join('\n');
  console.log(report);
  if (flags.out !== undefined) writeFileSync(flags.out, `${report}\n`);
  process.exit(verdict.ok ? 0 : 1);
}

/** One 10-second round of the same load against a bare Express app in its own process. */
async function runControl(config: AppConfig, connections: number, token: string): Promise<LoadResult> {
  const bare = await startServer({ ...config, kind: 'bare' });
  if (bare.status !== 'ready') throw new Error(`control server skipped: ${bare.reason}`);
  try {
    return await runLoad({ url: bare.url, connections, duration: 10, headers: { authorization: `Bearer ${token}` } });
  } finally {
    await bare.stop();
  }
}

await main();
