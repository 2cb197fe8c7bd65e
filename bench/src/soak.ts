/**
 * Soak run: `npm run soak -- [--minutes N] [--round S] [--replay-window S] [--max-markers N]
 * [--plateau-growth MB] [--connections N] [--tokens N] [--out FILE]`.
 * One Express API (JWTs, opaque tokens by introspection and DPoP-bound JWTs through one guard) in
 * its own process, 200 connections cycling through 10,000 distinct tokens (40 % JWT, 30 % opaque,
 * 30 % DPoP-bound with a fresh proof per request), in rounds of `--round` seconds (10). Between
 * rounds the server's RSS and heap after a full GC are sampled, and the server reports how long it
 * held each request (`latency-probe.ts`). A control round against a bare Express app shows what
 * the machine alone does to the same load. The guard's DPoP replay window is shortened to
 * `--replay-window` seconds (20) and its memory store bounded to `--max-markers` (50,000), so that
 * the run outlives both: the markers reach their bound and the heap must then stay flat. Verdict:
 * `soak-report.ts`. Loopback only; bounded by `--minutes`.
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
    round: { type: 'string', default: '10' },
    'replay-window': { type: 'string', default: '20' },
    'max-markers': { type: 'string', default: '50000' },
    'plateau-growth': { type: 'string', default: '4' },
    connections: { type: 'string', default: '200' },
    tokens: { type: 'string', default: '10000' },
    out: { type: 'string' },
  },
});
const minutes = Number(flags.minutes);
const roundSeconds = Number(flags.round);
const replayWindow = Number(flags['replay-window']);
const maxMarkers = Number(flags['max-markers']);
const plateauGrowthMb = Number(flags['plateau-growth']);
const connections = Number(flags.connections);
const tokenCount = Number(flags.tokens);
// The proofs' clock tolerance; the window is proofMaxAge + 2 × tolerance (RFC 9449 §11.1, see dpop/verifier.ts).
const PROOF_CLOCK_TOLERANCE = 2;
if (!(minutes > 0 && minutes <= 240) || !(roundSeconds >= 1 && roundSeconds <= 60) || !(replayWindow >= 2 * PROOF_CLOCK_TOLERANCE + 1 && replayWindow <= 3600)
  || !(Number.isInteger(maxMarkers) && maxMarkers >= 100) || !(plateauGrowthMb > 0)
  || !(connections >= 1 && connections <= 1000) || !(tokenCount >= 10 && tokenCount <= 1_000_000)) {
  console.error('usage: soak [--minutes 0-240] [--round 1-60 s] [--replay-window 5-3600 s] [--max-markers N≥100] [--plateau-growth MB] '
    + '[--connections 1-1000] [--tokens 10-1000000] [--out FILE]');
  process.exit(2);
}
if (minutes * 60 < replayWindow + 3 * roundSeconds) {
  console.error(`soak: --minutes ${minutes} is shorter than the replay window (${replayWindow} s) plus three rounds (${3 * roundSeconds} s): no plateau to judge`);
  process.exit(2);
}

type Credential = { kind: 'jwt' | 'opaque'; token: string } | { kind: 'dpop'; token: string; key: DpopKey };

async function main(): Promise<void> {
  const signing = await createSigningKey('ES256');
  const as = await startAuthServer([signing]);
  const config: AppConfig = {
    framework: 'express', kind: 'resource-guard-soak', issuer: as.issuer, jwksUri: as.jwksUri, audience: AUDIENCE, alg: 'ES256',
    introspection: { endpoint: as.introspectionEndpoint, ...INTROSPECTION_CLIENT },
    soak: { proofMaxAge: replayWindow - 2 * PROOF_CLOCK_TOLERANCE, clockTolerance: PROOF_CLOCK_TOLERANCE, maxMarkers },
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
  let proofsSent = 0;
  const next = (): Record<string, string> => {
    const credential = credentials[cursor]!;
    cursor = (cursor + 1) % credentials.length;
    if (credential.kind !== 'dpop') return { authorization: `Bearer ${credential.token}` };
    proofsSent += 1;
    const [proof] = createDpopProofs(credential.key, server.url, credential.token, 1);
    return { authorization: `DPoP ${credential.token}`, dpop: proof! };
  };

  // The load generator's own event loop: autocannon, the proof signing and the mock AS share it.
  const generatorLoop = monitorEventLoopDelay({ resolution: 10 });
  generatorLoop.enable();
  const round = async (second: () => number): Promise<SoakSample> => {
    generatorLoop.reset();
    const load = await runLoad({ url: server.url, connections, duration: roundSeconds, next });
    const generatorDelayMs = generatorLoop.max / 1e6;
    const latency = await server.latency();
    const memory = await server.memory();
    return { second: second(), load, rss: memory.rss, heap: memory.heapUsed, server: latency, generatorDelayMs, proofsSent };
  };

  // The same load on a bare Express app first: what this machine does to 200 connections by itself.
  const control = await runControl(config, connections, credentials.find((credential) => credential.kind === 'jwt')!.token);
  const started = Date.now();
  // A first round fills every cache (keys, introspection answers, proof headers) before the baseline.
  const samples: SoakSample[] = [await round(() => 0)];
  while (Date.now() - started < minutes * 60_000) samples.push(await round(() => Math.round((Date.now() - started) / 1000)));
  await server.stop();
  await as.close();

  const verdict = judgeSoak({
    samples, control, introspectionCalls: as.stats.introspection, opaqueTokens: Math.round(tokenCount * 0.3),
    replayWindow, maxMarkers, plateauGrowthMb, roundSeconds, connections,
  });
  const report = [
    `Soak: ${minutes} min, ${connections} connections, ${tokenCount} distinct tokens (40 % JWT, 30 % opaque, 30 % DPoP-bound), Express, `
      + `default offloadSignatures; DPoP replay window ${replayWindow} s, memory store maxMarkers ${maxMarkers}, rounds of ${roundSeconds} s.`,
    '',
    ...verdict.lines,
  ].join('\n');
  console.log(report);
  if (flags.out !== undefined) writeFileSync(flags.out, `${report}\n`);
  process.exit(verdict.ok ? 0 : 1);
}

/** One round of the same load against a bare Express app in its own process. */
async function runControl(config: AppConfig, connections: number, token: string): Promise<LoadResult> {
  const bare = await startServer({ ...config, kind: 'bare' });
  if (bare.status !== 'ready') throw new Error(`control server skipped: ${bare.reason}`);
  try {
    return await runLoad({ url: bare.url, connections, duration: roundSeconds, headers: { authorization: `Bearer ${token}` } });
  } finally {
    await bare.stop();
  }
}

await main();
