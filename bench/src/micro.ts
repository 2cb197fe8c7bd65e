/**
 * The in-process micro benchmark (a child of `run.ts`, or alone: `node dist/micro.js`).
 *
 * The floor is `node:crypto.verify` with a prepared `KeyObject` and prepared input and signature
 * buffers: the signature check and nothing else. Against it: `guard.verify()` on the same token
 * (everything the pipeline does: extraction, header and claim checks, key selection, signature,
 * context), and for reference `jose.jwtVerify` (WebCrypto) and the guard with `verifiedTokenCache`.
 * Each variant runs `batches` batches of `iterations` sequential calls, batches interleaved across
 * variants; the result is the median batch's µs per operation, by this process's CPU time (and by
 * the wall clock, for reference), and ratios are medians of per-batch ratios to the floor.
 * With `redis-server` installed, the opaque-hit and DPoP rows are repeated with the Redis store
 * (`@resource-guard/redis`, on a redis-server of the benchmark's own), interleaved with the memory
 * store's batches: the wall-clock difference is what the round trip adds per request.
 * Token exchange: what a downstream call through `downstreamFetch()` costs on top of a bare `fetch`
 * with the header set by hand, on a cache hit (both with a `fetch` that answers at once, so only the
 * library's work is measured; target ≤ 15 µs), and how many exchanges a burst of calls for a few
 * users causes (one per user).
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuard, createMemoryStore, type AuthContext, type Guard, type GuardOptions, type GuardRequest, type Store } from '@resource-guard/core';
import { createTokenExchange } from '@resource-guard/core/exchange';
import { createRedisStore, type RedisStore } from '@resource-guard/redis';
import { redisServerInstalled, startRedisServer } from '@resource-guard-tools/launchers';
import { AUDIENCE, INTROSPECTION_CLIENT, SUBJECT, type Alg as AnyAlg } from './config.js';
import {
  createDpopKey, createDpopProofs, createSigningKey, mintAccessToken, opaqueToken, startAuthServer, type AuthServer, type SigningKey,
} from './fixtures.js';
import { median } from './stats.js';
import { positiveNumber, readArgs } from './args.js';

/** The algorithms the micro measures (the load benchmark adds EdDSA). */
type Alg = Exclude<AnyAlg, 'EdDSA'>;

export interface MicroRow {
  id: string;
  label: string;
  /** Median CPU µs per operation; `undefined` when skipped. */
  micros?: number;
  /** Median wall-clock µs per operation. */
  wallMicros?: number;
  /** The floor this row is compared with (µs/op) and the ratio. */
  floor?: number;
  ratio?: number;
  target?: number;
  note?: string;
}

export interface MicroResult {
  rows: MicroRow[];
  iterations: number;
  batches: number;
  /** Whether a cache hit skipped the signature check (crypto.verify calls counted), or why unknown. */
  verifiedTokenCache: { active: boolean; note: string };
}

interface Settings {
  quick: boolean;
  iterations: number;
  batches: number;
  /** Only the guard variants (for profiling). */
  only?: 'guard';
  /** Only these algorithms (default both). */
  algs: Alg[];
  /** Only the DPoP variant (for profiling). */
  dpopOnly: boolean;
  /** Only the token-exchange rows (`--exchange`). */
  exchangeOnly: boolean;
}

function readSettings(argv: readonly string[]): Settings {
  const values = readArgs(argv, {
    quick: { type: 'boolean' }, iterations: { type: 'string' }, batches: { type: 'string' }, 'only-guard': { type: 'boolean' },
    dpop: { type: 'boolean' }, alg: { type: 'string' }, exchange: { type: 'boolean' },
  });
  const quick = values.quick === true;
  return {
    quick,
    iterations: positiveNumber(values, 'iterations', quick ? 20 : 1000),
    batches: positiveNumber(values, 'batches', quick ? 1 : 15),
    ...(values['only-guard'] === true ? { only: 'guard' as const } : {}),
    dpopOnly: values.dpop === true,
    exchangeOnly: values.exchange === true,
    algs: values.alg !== undefined ? [values.alg as Alg] : ['ES256', 'RS256'],
  };
}

/** One batch: µs per operation by the wall clock and by this process's CPU time (user + system). */
interface Sample { wall: number; cpu: number }
type Variant = { id: string; run: (n: number) => Promise<Sample> | Sample };

function clock(): { wall: bigint; cpu: NodeJS.CpuUsage } {
  return { wall: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

function since(start: { wall: bigint; cpu: NodeJS.CpuUsage }, n: number): Sample {
  const wall = Number(process.hrtime.bigint() - start.wall) / 1000 / n;
  const { user, system } = process.cpuUsage(start.cpu);
  return { wall, cpu: (user + system) / n };
}

function timeSync(n: number, fn: () => boolean): Sample {
  let ok = true;
  const start = clock();
  for (let i = 0; i < n; i++) ok = fn() && ok;
  const sample = since(start, n);
  if (!ok) throw new Error('a floor verification failed');
  return sample;
}

async function timeAsync(n: number, fn: (i: number) => Promise<unknown>): Promise<Sample> {
  const start = clock();
  for (let i = 0; i < n; i++) await fn(i);
  return since(start, n);
}

/** Batches of each variant; `cpu`/`wall` are medians in µs/op, `ratio` the median of per-batch CPU ratios. */
interface Measured {
  cpu(id: string): number | undefined;
  wall(id: string): number | undefined;
  /** Median over batches of cpu(id) / cpu(base) in the same batch (adjacent runs, so drift cancels). */
  ratio(id: string, base: string): number | undefined;
}

/**
 * Runs every variant `batches` times, interleaved (order alternating per batch). CPU time is the
 * primary figure: on a shared machine the wall clock also counts time the process waited for a core.
 */
async function measure(variants: readonly Variant[], settings: Settings): Promise<Measured> {
  const samples = new Map<string, Sample[]>(variants.map((variant) => [variant.id, []]));
  for (const variant of variants) await variant.run(Math.max(10, settings.iterations >> 3)); // warm-up
  for (let batch = 0; batch < settings.batches; batch++) {
    const order = batch % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) samples.get(variant.id)!.push(await variant.run(settings.iterations));
  }
  const pick = (id: string, key: keyof Sample) => (samples.has(id) ? median(samples.get(id)!.map((sample) => sample[key])) : undefined);
  return {
    cpu: (id) => pick(id, 'cpu'),
    wall: (id) => pick(id, 'wall'),
    ratio(id, base) {
      const a = samples.get(id);
      const b = samples.get(base);
      return a === undefined || b === undefined ? undefined : median(a.map((sample, batch) => sample.cpu / b[batch]!.cpu));
    },
  };
}

function request(authorization: string, extra: Record<string, string> = {}): GuardRequest {
  return { method: 'GET', url: 'http://127.0.0.1/', headers: { authorization, ...extra } };
}

async function expectSubject(guard: Guard, req: GuardRequest): Promise<void> {
  const auth = await guard.verify(req);
  if (auth.subject !== SUBJECT) throw new Error('guard.verify() returned the wrong subject');
}

/** The floor: one `crypto.verify` of the token's signature with a prepared KeyObject. */
function floorFor(key: SigningKey, token: string): () => boolean {
  const keyObject: KeyObject = createPublicKey({ key: key.publicJwk as JsonWebKey, format: 'jwk' });
  const second = token.lastIndexOf('.');
  const data = Buffer.from(token.slice(0, second), 'latin1');
  const signature = Buffer.from(token.slice(second + 1), 'base64url');
  if (key.alg === 'ES256') return () => verify('sha256', data, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature);
  return () => verify('sha256', data, keyObject, signature);
}

/** Counts `crypto.verify` calls made by the core while `fn` runs (live ESM bindings of node:crypto). */
async function countCryptoVerify(fn: () => Promise<void>): Promise<number> {
  const crypto = createRequire(import.meta.url)('node:crypto') as { verify: typeof verify };
  const original = crypto.verify;
  let calls = 0;
  crypto.verify = ((...args: Parameters<typeof verify>) => {
    calls++;
    return original(...args);
  }) as typeof verify;
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    crypto.verify = original;
    syncBuiltinESMExports();
  }
  return calls;
}

async function probeVerifiedTokenCache(options: GuardOptions, token: string): Promise<{ active: boolean; note: string }> {
  let guard: Guard;
  try {
    guard = createGuard({ ...options, verifiedTokenCache: true });
  } catch (error) {
    return { active: false, note: `createGuard() rejected verifiedTokenCache: ${(error as Error).message}` };
  }
  await expectSubject(guard, request(`Bearer ${token}`));
  const calls = await countCryptoVerify(() => expectSubject(guard, request(`Bearer ${token}`)));
  return calls === 0
    ? { active: true, note: 'a repeated token skipped the signature check' }
    : { active: false, note: `option accepted, but a repeated token still ran ${calls} signature check(s): the core does not use the cache yet` };
}

export async function runMicro(settings: Settings): Promise<MicroResult> {
  const keys = { ES256: await createSigningKey('ES256'), RS256: await createSigningKey('RS256') };
  const server: AuthServer = await startAuthServer([keys.ES256, keys.RS256]);
  const redis = settings.only === undefined && redisServerInstalled ? await startRedisServer() : undefined;
  const stores: RedisStore[] = [];
  const redisStore = async (): Promise<Store | undefined> => {
    if (redis === undefined) return undefined;
    const store = createRedisStore({ url: redis.url }, { prefix: `micro-${stores.length}:` });
    stores.push(store);
    if (!await store.ready(15_000)) throw new Error('the bench redis-server did not accept a connection');
    return store;
  };
  try {
    const base: GuardOptions = { issuer: server.issuer, audience: AUDIENCE, jwksUri: server.jwksUri };
    const rows: MicroRow[] = [];
    const targets: Record<Alg, number> = { ES256: 1.15, RS256: 1.3 };
    const floors: Partial<Record<Alg, number>> = {};
    let cacheProbe: MicroResult['verifiedTokenCache'] = { active: false, note: 'not probed' };

    if (settings.exchangeOnly) {
      return { rows: await exchangeRows(base, keys.ES256, server, settings, await redisStore()), iterations: settings.iterations, batches: settings.batches, verifiedTokenCache: cacheProbe };
    }
    for (const alg of settings.dpopOnly ? [] : settings.algs) {
      const token = await mintAccessToken(keys[alg], server.issuer);
      const options: GuardOptions = { ...base, algorithms: [alg] };
      const guard = createGuard(options);
      const req = request(`Bearer ${token}`);
      await expectSubject(guard, req); // also fetches the JWKS once
      const variants: Variant[] = [{ id: 'guard', run: (n) => timeAsync(n, () => guard.verify(req)) }];
      if (settings.only === undefined) {
        const floor = floorFor(keys[alg], token);
        const jwks = createLocalJWKSet({ keys: [keys[alg].publicJwk as JWK] });
        const joseOptions = { issuer: server.issuer, audience: AUDIENCE, algorithms: [alg], typ: 'at+jwt' };
        await jwtVerify(token, jwks, joseOptions);
        variants.push(
          { id: 'floor', run: (n) => timeSync(n, floor) },
          { id: 'jose', run: (n) => timeAsync(n, () => jwtVerify(token, jwks, joseOptions)) },
        );
        if (alg === 'ES256') cacheProbe = await probeVerifiedTokenCache(options, token);
        let cached: Guard | undefined;
        try {
          cached = createGuard({ ...options, verifiedTokenCache: true });
          await expectSubject(cached, req);
        } catch {
          cached = undefined;
        }
        if (cached !== undefined) variants.push({ id: 'cache', run: (n) => timeAsync(n, () => cached.verify(req)) });
        // Sequential calls: what one token costs with the thread hop (latency), not throughput.
        const offloaded = createGuard({ ...options, offloadSignatures: true });
        await expectSubject(offloaded, req);
        variants.push({ id: 'offload', run: (n) => timeAsync(n, () => offloaded.verify(req)) });
      }
      const result = await measure(variants, settings);
      const floor = result.cpu('floor');
      if (floor !== undefined) floors[alg] = floor;
      const row = (id: string, label: string, extra: Partial<MicroRow> = {}): MicroRow => ({
        id: `${alg}-${id}`, label, micros: result.cpu(id), wallMicros: result.wall(id), floor, ratio: result.ratio(id, 'floor'), ...extra,
      });
      if (floor !== undefined) rows.push(row('floor', `${alg} node:crypto.verify, prepared KeyObject (floor)`));
      rows.push(row('guard', `${alg} guard.verify()`, { target: targets[alg] }));
      if (result.cpu('jose') !== undefined) rows.push(row('jose', `${alg} jose.jwtVerify (WebCrypto), reference`));
      if (result.cpu('offload') !== undefined) {
        rows.push(row('offload', `${alg} guard.verify() + offloadSignatures, one at a time`, { note: 'the thread hop per token: compare the wall-clock column' }));
      }
      if (result.cpu('cache') !== undefined) {
        rows.push(row('cache', `${alg} guard.verify() + verifiedTokenCache (hit)`, alg === 'ES256' && !cacheProbe.active ? { note: 'cache not active in the core' } : {}));
      }
    }

    if (settings.only === undefined) rows.push(...await opaqueRows(base, server, settings, await redisStore()));
    if (settings.only === undefined) rows.push(...await exchangeRows(base, keys.ES256, server, settings, await redisStore()));
    if (settings.only === undefined || settings.dpopOnly) rows.push(...await dpopRows(base, keys.ES256, server, settings, floors.ES256, await redisStore()));
    return { rows, iterations: settings.iterations, batches: settings.batches, verifiedTokenCache: cacheProbe };
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    await redis?.stop();
    await server.close();
  }
}

/** The Redis variant's row: its own times, and what it adds over the memory store (wall clock). */
function redisRow(id: string, label: string, result: Measured, memoryId: string): MicroRow {
  const [micros, wall, memoryWall] = [result.cpu(`${id}`), result.wall(`${id}`), result.wall(memoryId)];
  const added = wall !== undefined && memoryWall !== undefined ? ` ${(wall - memoryWall).toFixed(1)} µs added by the wall clock (the round trips)` : '';
  return { id, label, micros, wallMicros: wall, note: `Redis store on a local redis-server;${added}` };
}

async function opaqueRows(base: GuardOptions, server: AuthServer, settings: Settings, redisStore?: Store): Promise<MicroRow[]> {
  const label = 'opaque guard.verify() (introspection cache hit)';
  let guard: Guard;
  try {
    guard = createGuard({ ...base, introspection: { endpoint: server.introspectionEndpoint, ...INTROSPECTION_CLIENT } });
  } catch (error) {
    return [{ id: 'opaque', label, note: `skipped: ${(error as Error).message}` }];
  }
  const token = opaqueToken();
  const now = Math.floor(Date.now() / 1000);
  server.activeTokens.set(token, { sub: SUBJECT, aud: AUDIENCE, iss: server.issuer, client_id: 'bench-client', exp: now + 3600, iat: now, scope: 'orders:read' });
  const req = request(`Bearer ${token}`);
  try {
    await expectSubject(guard, req);
  } catch (error) {
    return [{ id: 'opaque', label, note: `skipped: ${(error as Error).message}` }];
  }
  const variants: Variant[] = [{ id: 'opaque', run: (n) => timeAsync(n, () => guard.verify(req)) }];
  if (redisStore !== undefined) {
    const onRedis = createGuard({ ...base, store: redisStore, introspection: { endpoint: server.introspectionEndpoint, ...INTROSPECTION_CLIENT } });
    await expectSubject(onRedis, req);
    variants.push({ id: 'opaque-redis', run: (n) => timeAsync(n, () => onRedis.verify(req)) });
  }
  const result = await measure(variants, settings);
  const rows: MicroRow[] = [{ id: 'opaque', label, micros: result.cpu('opaque'), wallMicros: result.wall('opaque'), note: `${server.stats.introspection} introspection call(s) in total` }];
  if (redisStore !== undefined) rows.push(redisRow('opaque-redis', `${label}, Redis store`, result, 'opaque'));
  return rows;
}

/**
 * DPoP settings of the benchmark guards: one client key sends every proof, far more than a real
 * client per replay window, so the per-key proof quota is lifted (the replay check still runs).
 */
const BENCH_DPOP = { algorithms: ['ES256'], maxProofsPerKey: Number.MAX_SAFE_INTEGER, maxProofsPerClient: Number.MAX_SAFE_INTEGER };

async function dpopRows(
  base: GuardOptions, key: SigningKey, server: AuthServer, settings: Settings, floor: number | undefined, redisStore?: Store,
): Promise<MicroRow[]> {
  const label = 'ES256 + DPoP proof (ES256) guard.verify()';
  const dpopKey = createDpopKey();
  const token = await mintAccessToken(key, server.issuer, { cnf: { jkt: dpopKey.jkt } });
  const url = 'http://127.0.0.1/';
  let guard: Guard;
  try {
    guard = createGuard({ ...base, algorithms: ['ES256'], dpop: BENCH_DPOP });
    await expectSubject(guard, request(`DPoP ${token}`, { dpop: createDpopProofs(dpopKey, url, token, 1)[0]! }));
  } catch (error) {
    return [{ id: 'dpop', label, note: `skipped: ${(error as Error).message}` }];
  }
  const onRedis = redisStore === undefined ? undefined : createGuard({ ...base, store: redisStore, algorithms: ['ES256'], dpop: BENCH_DPOP });
  // Every call needs an unused proof (jti replay guard): enough for warm-up and all batches (of both stores).
  const proofs = createDpopProofs(dpopKey, url, token, (onRedis === undefined ? 1 : 2) * settings.iterations * (settings.batches + 1) + 20);
  let next = 0;
  const variants: Variant[] = [{ id: 'dpop', run: (n) => timeAsync(n, () => guard.verify(request(`DPoP ${token}`, { dpop: proofs[next++]! }))) }];
  if (onRedis !== undefined) {
    await expectSubject(onRedis, request(`DPoP ${token}`, { dpop: proofs[next++]! }));
    variants.push({ id: 'dpop-redis', run: (n) => timeAsync(n, () => onRedis.verify(request(`DPoP ${token}`, { dpop: proofs[next++]! }))) });
    // One bare round trip of the same store, interleaved with the rest: the unit the DPoP target is stated in.
    variants.push({ id: 'redis-round-trip', run: (n) => timeAsync(n, async () => redisStore!.get('bench:round-trip')) });
  }
  const result = await measure(variants, settings);
  const micros = result.cpu('dpop');
  const twoFloors = floor === undefined ? undefined : 2 * floor;
  const rows: MicroRow[] = [{
    id: 'dpop', label, micros, wallMicros: result.wall('dpop'), ...(twoFloors !== undefined && micros !== undefined ? { floor: twoFloors, ratio: micros / twoFloors } : {}),
    note: 'floor = 2 × ES256 crypto.verify (token + proof); the proof is parsed, its key imported and its jti stored per call',
  }];
  if (onRedis !== undefined) {
    rows.push(redisRow('dpop-redis', `${label}, Redis store (quota and jti marker in one script)`, result, 'dpop'));
    rows.push({ id: 'redis-round-trip', label: 'one Redis store get() (a round trip, for scale)', micros: result.cpu('redis-round-trip'), wallMicros: result.wall('redis-round-trip') });
  }
  return rows;
}

/** A token endpoint answering every exchange at once with a fresh token, counting them. */
async function startTokenEndpoint(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      count++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        access_token: `exchanged-${count}`, token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', expires_in: 3600,
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    count: () => count,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function exchangeRows(base: GuardOptions, key: SigningKey, server: AuthServer, settings: Settings, redisStore?: Store): Promise<MicroRow[]> {
  const endpoint = await startTokenEndpoint();
  try {
    const guard = createGuard({ ...base, algorithms: ['ES256'] });
    const verified = async (subject: string): Promise<AuthContext> => guard.verify(request(`Bearer ${await mintAccessToken(key, server.issuer, { sub: subject })}`));
    const auth = await verified(SUBJECT);
    const answer = new Response(null, { status: 204 });
    // Answers at once: what is measured is the library's work around the call, not the network.
    const instant = ((_input: unknown, _init?: RequestInit) => Promise.resolve(answer)) as typeof fetch;
    const target = { audience: 'https://downstream.bench.test', scope: 'stock:read' };
    const url = 'https://downstream.bench.test/stock';
    const options = { clientId: 'bench-api', clientSecret: 'bench-exchange-secret', tokenEndpoint: endpoint.url, fetch: instant };
    const exchange = createTokenExchange(guard, { ...options, store: createMemoryStore() });
    const { accessToken } = await exchange.exchangeToken(auth, target);
    const variants: Variant[] = [
      { id: 'bare-fetch', run: (n) => timeAsync(n, () => instant(url, { headers: { authorization: `Bearer ${accessToken}` } })) },
      { id: 'downstream', run: (n) => timeAsync(n, () => exchange.downstreamFetch(auth, url, undefined, target)) },
      { id: 'exchange-hit', run: (n) => timeAsync(n, () => exchange.exchangeToken(auth, target)) },
    ];
    if (redisStore !== undefined) {
      const sealed = createTokenExchange(guard, { ...options, store: redisStore, encryptionKey: new Uint8Array(32).fill(7) });
      await sealed.exchangeToken(auth, target);
      variants.push({ id: 'exchange-downstream-redis', run: (n) => timeAsync(n, () => sealed.downstreamFetch(auth, url, undefined, target)) });
    }
    const before = endpoint.count();
    const result = await measure(variants, settings);
    const calls = endpoint.count() - before;
    const [bare, downstream] = [result.cpu('bare-fetch'), result.cpu('downstream')];
    const added = bare === undefined || downstream === undefined ? undefined : downstream - bare;
    const rows: MicroRow[] = [
      { id: 'exchange-bare-fetch', label: 'bare fetch() with Authorization set by hand (instant fetch), reference', micros: bare, wallMicros: result.wall('bare-fetch') },
      {
        id: 'exchange-downstream', label: 'downstreamFetch(), exchanged token cached (memory store)', micros: downstream, wallMicros: result.wall('downstream'),
        ...(added === undefined ? {} : { note: `${added.toFixed(1)} µs CPU added per downstream call over the bare fetch (target ≤ 15); ${calls} exchange(s) during the batches` }),
      },
      { id: 'exchange-hit', label: 'exchangeToken(), cache hit (memory store)', micros: result.cpu('exchange-hit'), wallMicros: result.wall('exchange-hit') },
    ];
    if (redisStore !== undefined) rows.push(redisRow('exchange-downstream-redis', 'downstreamFetch(), cached in Redis (sealed, AES-256-GCM)', result, 'downstream'));

    // Under load: a burst of calls for a few users, 50 at a time, on a fresh cache.
    const users = await Promise.all(Array.from({ length: 20 }, (_, index) => verified(`load-user-${index}`)));
    const loaded = createTokenExchange(guard, { ...options, store: createMemoryStore() });
    const total = settings.quick ? 400 : 4000;
    const start = endpoint.count();
    for (let sent = 0; sent < total; sent += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, index) => loaded.downstreamFetch(users[(sent + index) % users.length]!, url, undefined, target)));
    }
    rows.push({ id: 'exchange-load', label: `exchanges for ${total} downstream calls by ${users.length} users, 50 at a time`, note: `${endpoint.count() - start} exchange(s) at the token endpoint (one per user expected)` });
    return rows;
  } finally {
    await endpoint.close();
  }
}

// As a child (or alone): run and report over IPC, or print JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runMicro(readSettings(process.argv.slice(2)));
  if (process.send !== undefined) process.send(result);
  else console.log(JSON.stringify(result, null, 2));
}
