/**
 * Soak run: `npm run soak -- [--minutes N] [--connections N] [--tokens N] [--out FILE]`.
 * One Express API (JWTs, opaque tokens by introspection and DPoP-bound JWTs through one guard) in
 * its own process, 200 connections cycling through 10,000 distinct tokens (40 % JWT, 30 % opaque,
 * 30 % DPoP-bound with a fresh proof per request), in 10-second rounds. Between rounds the
 * server's RSS and heap after a full GC are sampled. Passes when every request was answered 200
 * and the heap after GC at the end is within `--heap-growth` MB (default 16) of the first sample
 * after warm-up. Loopback only; bounded by `--minutes`.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startServer } from './children.js';
import { AUDIENCE, INTROSPECTION_CLIENT, type AppConfig } from './config.js';
import {
  createDpopKey, createDpopProofs, createSigningKey, mintAccessToken, opaqueToken, startAuthServer, type DpopKey,
} from './fixtures.js';
import { runLoad } from './load.js';

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

  const samples: Array<{ second: number; rss: number; heap: number; requests: number; failures: number }> = [];
  const started = Date.now();
  let requests = 0;
  let failures = 0;
  const statuses: Record<string, number> = {};
  let timeouts = 0;
  // A first round fills every cache (keys, introspection answers, proof headers) before the baseline.
  const warmup = await runLoad({ url: server.url, connections, duration: 10, next });
  const baseline = await server.memory();
  samples.push({ second: 0, rss: baseline.rss, heap: baseline.heapUsed, requests: warmup.total, failures: warmup.non2xx + warmup.errors + warmup.timeouts });
  while (Date.now() - started < minutes * 60_000) {
    const round = await runLoad({ url: server.url, connections, duration: 10, next });
    for (const [status, count] of Object.entries(round.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    requests += round.total;
    failures += round.non2xx + round.errors + round.timeouts;
    timeouts += round.timeouts;
    const memory = await server.memory();
    samples.push({ second: Math.round((Date.now() - started) / 1000), rss: memory.rss, heap: memory.heapUsed, requests: round.total, failures: round.non2xx + round.errors + round.timeouts });
  }
  await server.stop();
  await as.close();

  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const last = samples.at(-1)!;
  const growth = (last.heap - baseline.heapUsed) / 1024 / 1024;
  const peakRss = Math.max(...samples.map((sample) => sample.rss));
  const lines = [
    `Soak: ${minutes} min, ${connections} connections, ${tokenCount} distinct tokens (40 % JWT, 30 % opaque, 30 % DPoP-bound), Express.`,
    '',
    '| t (s) | requests in round | failures | RSS (MB) | heap after GC (MB) |',
    '|---:|---:|---:|---:|---:|',
    ...samples.map((sample) => `| ${sample.second} | ${sample.requests} | ${sample.failures} | ${mb(sample.rss)} | ${mb(sample.heap)} |`),
    '',
    `Requests after warm-up: ${requests} (by status: ${JSON.stringify(statuses)}); failures: ${failures} (of which no answer within 10 s: ${timeouts}); introspection calls: ${as.stats.introspection} for ${Math.round(tokenCount * 0.3)} opaque tokens;`,
    `heap after GC ${mb(baseline.heapUsed)} → ${mb(last.heap)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB, bound ${heapGrowthMb} MB); peak RSS ${mb(peakRss)} MB.`,
  ];
  const report = lines.join('\n');
  console.log(report);
  if (flags.out !== undefined) writeFileSync(flags.out, `${report}\n`);
  process.exit(failures === 0 && growth <= heapGrowthMb ? 0 : 1);
}

await main();
