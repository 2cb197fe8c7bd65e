/**
 * Bytes per entry of each in-process cache (a child of `run.ts`, or alone:
 * `node --expose-gc bench/dist/memory.js [--entries N]`). For each, N entries are made through
 * `guard.verify()` itself (so the figures include what the guard really keeps: keys, claims, the
 * store's bookkeeping), every reference the benchmark held is dropped, and the heap after a full
 * GC is compared with the heap before. The authorization server is an in-process `fetch` (JWKS
 * and introspection), so nothing but the guard's own allocations is measured.
 *
 * - verified-token cache: one RFC 9068 ES256 token (~700 characters) per entry, keyed by the token;
 * - introspection, active: the answer (nine members) under `introspection:` + SHA-256 of the token;
 * - introspection, inactive: `{ active: false }` under the same key (what a flood of unknown tokens fills);
 * - DPoP replay markers: one per proof `jti`, plus the per-key quota counter (one key for all).
 */
import { createGuard, createMemoryStore, type Guard, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { positiveNumber, readArgs } from './args.js';
import { AUDIENCE, INTROSPECTION_CLIENT } from './config.js';
import { createDpopKey, createDpopProofs, createSigningKey, mintAccessToken, opaqueToken } from './fixtures.js';

export interface MemoryRow {
  id: 'verified-cache' | 'introspection-active' | 'introspection-inactive' | 'dpop-markers';
  label: string;
  entries: number;
  bytesPerEntry: number;
  /** The bound of this cache with the defaults, entries (for the worst case in MB). */
  defaultMax: number;
}

export interface MemoryResult {
  rows: MemoryRow[];
  skipped?: string;
}

const ISSUER = 'https://as.memory.test';
const HTU = 'https://api.memory.test/orders';
const WARM_UP = 200;
const gc = (globalThis as { gc?: () => void }).gc;

// Full collections with turns of the event loop between them (pending callbacks and timers let
// go of what they hold), until the heap stops shrinking.
async function heapAfterGc(): Promise<number> {
  let smallest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 8; round += 1) {
    gc!();
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    const used = process.memoryUsage().heapUsed;
    if (used >= smallest * 0.999) break;
    smallest = used;
  }
  return smallest;
}

function request(authorization: string, dpop?: string): GuardRequest {
  return { method: 'GET', url: HTU, headers: dpop === undefined ? { authorization } : { authorization, dpop } };
}

/**
 * Strings kept outside the JS heap (a Buffer's bytes are external memory) and handed out as fresh
 * heap strings, one per call: as tokens arrive in requests. Otherwise the tokens, made before the
 * baseline, would be counted in it rather than in the cache that keeps them.
 */
class Wire {
  readonly #bytes: Buffer;
  readonly #ends: Uint32Array;
  #next = 0;

  constructor(strings: readonly string[]) {
    this.#bytes = Buffer.from(strings.join(''), 'latin1');
    this.#ends = new Uint32Array(strings.length);
    let end = 0;
    strings.forEach((value, index) => { this.#ends[index] = end += value.length; });
  }

  get remaining(): boolean {
    return this.#next < this.#ends.length;
  }

  take(): string {
    const start = this.#next === 0 ? 0 : this.#ends[this.#next - 1]!;
    return this.#bytes.toString('latin1', start, this.#ends[this.#next++]);
  }
}

/** Runs `fill` (which makes `entries` entries in `guard`), then returns heap bytes per entry. */
// The guard being measured, held here so that its caches stay alive through the "after" sample.
const measured: Guard[] = [];

async function perEntry(entries: number, build: () => Promise<{ guard: Guard; fill: () => Promise<void> }>): Promise<number> {
  const before = await heapAfterGc();
  const { guard, fill } = await build();
  measured.push(guard);
  await fill();
  const after = await heapAfterGc();
  measured.length = 0;
  return (after - before) / entries;
}

export async function measureMemory(entries: number): Promise<MemoryResult> {
  if (gc === undefined) return { rows: [], skipped: 'run with --expose-gc' };
  const key = await createSigningKey('ES256');
  const jwks = JSON.stringify({ keys: [key.publicJwk] });
  const now = Math.floor(Date.now() / 1000);
  const answer = (token: string) => (token.startsWith('active_')
    ? JSON.stringify({ active: true, iss: ISSUER, sub: 'user-123', aud: AUDIENCE, client_id: 'bench-client', scope: 'orders:read profile', exp: now + 3600, iat: now, token_type: 'Bearer' })
    : '{"active":false}');
  const fakeFetch: typeof fetch = async (input, init) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const url = String(input);
    const body = url.endsWith('/jwks') ? jwks : answer(new URLSearchParams(String(init?.body)).get('token') ?? '');
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const base: GuardOptions = {
    issuer: ISSUER, audience: AUDIENCE, jwksUri: `${ISSUER}/jwks`, fetch: fakeFetch, algorithms: ['ES256'],
    store: createMemoryStore({ max: entries, maxMarkers: entries * 2 }),
  };
  const introspection = { endpoint: `${ISSUER}/introspect`, ...INTROSPECTION_CLIENT, cacheTtl: 3600, inactiveCacheTtl: 3600 };
  const dpop = { algorithms: ['ES256'], maxProofsPerKey: Number.MAX_SAFE_INTEGER };
  // Every token and proof is made before the first baseline, so no row's baseline holds another's
  // garbage; WARM_UP more of each run first, so that code compiled on first use is not counted.
  const count = entries + WARM_UP;
  const minted: string[] = [];
  for (let i = 0; i < count; i += 1) minted.push(await mintAccessToken(key, ISSUER));
  const dpopKey = createDpopKey();
  const bound = await mintAccessToken(key, ISSUER, { cnf: { jkt: dpopKey.jkt } });
  const cases: Array<Omit<MemoryRow, 'entries' | 'bytesPerEntry'> & { wire: Wire; options: (max: number) => GuardOptions; send: (credential: string) => GuardRequest }> = [
    {
      id: 'verified-cache', label: 'verifiedTokenCache entry (ES256 RFC 9068 token + its claims)', defaultMax: 10_000,
      wire: new Wire(minted), options: (max) => ({ ...base, verifiedTokenCache: { max } }), send: (token) => request(`Bearer ${token}`),
    },
    {
      id: 'introspection-active', label: 'introspection cache entry, active answer (memory store)', defaultMax: 10_000,
      wire: new Wire(Array.from({ length: count }, () => opaqueToken('active'))),
      options: (max) => ({ ...base, store: createMemoryStore({ max }), introspection }), send: (token) => request(`Bearer ${token}`),
    },
    {
      id: 'introspection-inactive', label: 'introspection cache entry, `active: false` (memory store)', defaultMax: 10_000,
      wire: new Wire(Array.from({ length: count }, () => opaqueToken('unknown'))),
      options: (max) => ({ ...base, store: createMemoryStore({ max }), introspection }), send: (token) => request(`Bearer ${token}`),
    },
    {
      // The bound token's own cache entry and the key set are one entry in all.
      id: 'dpop-markers', label: 'DPoP replay marker (memory store)', defaultMax: 100_000,
      wire: new Wire(createDpopProofs(dpopKey, HTU, bound, count)),
      options: (max) => ({ ...base, store: createMemoryStore({ maxMarkers: max * 2 }), verifiedTokenCache: true, dpop }),
      send: (proof) => request(`DPoP ${bound}`, proof),
    },
  ];
  minted.length = 0;
  const fill = (wire: Wire, n: number, guard: Guard, send: (credential: string) => GuardRequest) => async () => {
    // Inactive tokens are refused (401): the entry is made all the same.
    for (let i = 0; i < n; i += 1) await guard.verify(send(wire.take())).catch(() => undefined);
  };
  for (const { wire, options, send } of cases) {
    const guard = createGuard(options(WARM_UP));
    await fill(wire, WARM_UP, guard, send)();
  }
  const rows: MemoryRow[] = [];
  for (const { wire, options, send, ...row } of cases) {
    const bytesPerEntry = await perEntry(entries, async () => {
      const guard = createGuard(options(entries));
      return { guard, fill: fill(wire, entries, guard, send) };
    });
    rows.push({ ...row, entries, bytesPerEntry });
  }
  return { rows };
}

if (process.argv[1]?.endsWith('memory.js') || process.argv[1]?.endsWith('memory.ts')) {
  const values = readArgs(process.argv.slice(2), { entries: { type: 'string' } });
  const result = await measureMemory(positiveNumber(values, 'entries', 5_000));
  if (process.send !== undefined) process.send(result);
  else {
    if (result.skipped !== undefined) console.log(`skipped: ${result.skipped}`);
    for (const row of result.rows) console.log(`${row.label}: ${row.bytesPerEntry.toFixed(0)} B/entry (${row.entries} entries)`);
  }
}
