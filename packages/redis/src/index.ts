/**
 * @resource-guard/redis — a {@link Store} on Redis or Valkey (through ioredis), so that several
 * API processes share DPoP replay markers and the introspection cache.
 */
import { createHash } from 'node:crypto';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import type { AddCountedResult, Logger, Store } from '@resource-guard/core';

/** Default {@link RedisStoreOptions.prefix}. */
export const DEFAULT_PREFIX = 'resource-guard:';
/** Default {@link RedisStoreOptions.timeout}, in milliseconds. */
export const DEFAULT_TIMEOUT = 500;
/** Default {@link RedisStoreOptions.maxInFlight}. */
export const DEFAULT_MAX_IN_FLIGHT = 1000;

/**
 * Where the store's Redis is.
 * - `{ client }`: your ioredis `Redis` (standalone or Sentinel) or `Cluster`, with your options
 *   (TLS, ACL user, Sentinel, Cluster, reconnection) left untouched. Connected if it is not yet
 *   (`lazyConnect`); never closed by the store.
 * - `{ url, clientOptions? }`: the store creates its own client from a `redis://` or `rediss://`
 *   (TLS) URL (`redis://user:password@host:port/db` for an ACL user and a database), with
 *   `clientOptions` over the store's defaults (no offline queue, reconnection every ≤ 1 s), and
 *   closes it in {@link RedisStore.close}.
 */
export type RedisConnection =
  | { client: Redis | Cluster }
  | { url: string; clientOptions?: RedisOptions };

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key, before the library's own namespaces (`dpop:jti:`, `introspection:`,
   * `verified:`), so that one Redis can serve several applications. Default `'resource-guard:'`.
   */
  prefix?: string;
  /**
   * Longest wait for one store call, in milliseconds; past it the call rejects (the DPoP replay
   * guard answers 503, the caches fall through to the authorization server). Default 500.
   */
  timeout?: number;
  /**
   * Most store calls waiting for Redis at once; more reject at once. Bounds the commands queued
   * behind a Redis that has stopped answering but kept the connection open. Default 1000.
   */
  maxInFlight?: number;
  /** Where connection errors are reported (once per outage). Default `console`. */
  logger?: Logger;
}

/** A {@link Store} on Redis, with the optional methods and a way to close it. */
export interface RedisStore extends Store {
  /** The ioredis client in use (yours, or the one made from `url`). */
  readonly client: Redis | Cluster;
  /** `GET`: always a promise on Redis (the `Store` contract allows plain values too). */
  get(key: string): Promise<unknown>;
  /** `SET key value PX ttl`. */
  set(key: string, value: unknown, ttl: number): Promise<void>;
  /** `SET key value NX PX ttl`: `true` when this call added `key`. */
  add(key: string, value: unknown, ttl: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Adds 1 to the counter under `key` and returns the new count; an absent counter starts at 0
   * with a TTL of `ttl` seconds, which later increments do not extend. One `MULTI`/`EXEC`
   * (`SET key 0 NX PX`, `INCR`): atomic, one round trip.
   */
  increment(key: string, ttl: number): Promise<number>;
  /**
   * `add(key, value, ttl)` and, only when it added `key`, `increment(counterKey, ttl)`, taking
   * `key` back past `limit`, atomically in one Lua script (`EVALSHA`, loaded again by `EVAL` after
   * a `SCRIPT FLUSH` or a restart): one round trip per DPoP proof; a refused replay is not
   * counted. With `secondCounterKey` (the DPoP client's counter) that counter is counted too, in
   * the same script, and a marker past either limit taken back. On a Cluster, whose keys may sit
   * in different slots, the commands are sent in turn instead.
   */
  addCounted(key: string, value: unknown, ttl: number, counterKey: string, limit: number, secondCounterKey?: string, secondLimit?: number): Promise<AddCountedResult>;
  /**
   * Resolves `true` once the client is connected (at once when it is), or `false` after `wait`
   * milliseconds (default 5000) without a connection; never rejects. For start-up: listen once
   * Redis is there; until then every call fails (DPoP with 503, caches fall through).
   */
  ready(wait?: number): Promise<boolean>;
  /** Closes the client the store created from `url` (a client you passed stays open). */
  close(): Promise<void>;
}

/**
 * Creates a {@link Store} on Redis (≥ 2.6.12) or Valkey.
 *
 * - `add`: one atomic `SET key value NX PX ttl` (RFC 9449 §11.1: of two concurrent uses of a DPoP
 *   `jti`, exactly one wins, across every process sharing the Redis); `get`: `GET`; `set`:
 *   `SET key value PX ttl`; `delete`: `DEL`. Values are JSON. Every entry has a TTL: a call with a
 *   TTL ≤ 0 stores nothing (`add` rejects).
 * - `increment`: `MULTI`, `SET key 0 NX PX ttl`, `INCR key`, `EXEC` (the per-key DPoP proof quota).
 * - `addCounted`: both in one Lua script, the marker first and the count only for a new marker
 *   (the DPoP replay check: one round trip per proof; a refused replay is not counted).
 * - Keys are `prefix` + the library's key (`dpop:jti:<hash>`, `dpop:quota:<hash>`,
 *   `introspection:<hash>`): hashes, never a token.
 * - Faults: a call rejects when the client is not connected (no command is queued for later), when
 *   Redis does not answer within `timeout` ms, or when `maxInFlight` calls are already waiting. The
 *   client reconnects by itself; the next call after that succeeds. A rejection never escapes as
 *   an unhandled one.
 *
 * Does not check Redis's eviction policy: replay markers must not be evicted early, so use
 * `maxmemory-policy noeviction` (or a Redis of its own) for the store. Does not detect a dead
 * connection that still looks open: until the client notices (TCP keep-alive, a reset), calls time
 * out and, once `maxInFlight` are waiting, fail at once.
 */
export function createRedisStore(connection: RedisConnection, options: RedisStoreOptions = {}): RedisStore {
  const settings = readOptions(options);
  const { client, owned } = openClient(connection);
  const { prefix, timeout, maxInFlight, logger } = settings;
  let inFlight = 0;
  let reported = false;
  const onError = (error: unknown) => {
    if (reported) return;
    reported = true;
    const code = (error as { code?: unknown } | null)?.code;
    logger.warn(`resource-guard: Redis store connection error${typeof code === 'string' ? ` (${code})` : ''}; calls fail until it reconnects`);
  };
  const onReady = () => {
    reported = false;
  };
  client.on('error', onError);
  client.on('ready', onReady);
  if (client.status === 'wait') client.connect().catch(() => {});

  /** Runs one command, bounded in time and in number; never leaves a rejection unhandled. */
  function run<T>(command: () => Promise<T>): Promise<T> {
    if (client.status !== 'ready') return Promise.reject(new Error(`Redis store: not connected (${client.status})`));
    if (inFlight >= maxInFlight) return Promise.reject(new Error('Redis store: too many calls waiting for Redis'));
    inFlight += 1;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis store: no answer within ${timeout} ms`)), timeout);
      command().then(resolve, reject).finally(() => {
        clearTimeout(timer);
        inFlight -= 1;
      });
    });
  }

  const store: RedisStore = {
    client,
    get(key) {
      return run(() => client.get(prefix + key)).then(parseValue);
    },
    async set(key, value, ttl) {
      const ms = toMilliseconds(ttl);
      if (ms === 0) return;
      await run(() => client.set(prefix + key, JSON.stringify(value), 'PX', ms));
    },
    async add(key, value, ttl) {
      const ms = toMilliseconds(ttl);
      if (ms === 0) throw new RangeError('Redis store: add() needs a TTL > 0');
      return (await run(() => client.set(prefix + key, JSON.stringify(value), 'PX', ms, 'NX'))) === 'OK';
    },
    async delete(key) {
      await run(() => client.del(prefix + key));
    },
    async increment(key, ttl) {
      const ms = toMilliseconds(ttl);
      if (ms === 0) throw new RangeError('Redis store: increment() needs a TTL > 0');
      const full = prefix + key;
      const results = await run(() => client.multi().set(full, '0', 'PX', ms, 'NX').incr(full).exec());
      const [, counted] = results ?? [];
      if (counted === undefined || counted[0] !== null || typeof counted[1] !== 'number') {
        throw new Error('Redis store: the increment transaction failed', { cause: counted?.[0] ?? undefined });
      }
      return counted[1];
    },
    async addCounted(key, value, ttl, counterKey, limit, secondCounterKey, secondLimit) {
      const ms = toMilliseconds(ttl);
      if (ms === 0) throw new RangeError('Redis store: addCounted() needs a TTL > 0');
      if (client.isCluster) return addCountedApart(store, key, value, ttl, [[counterKey, limit], ...counterOf(secondCounterKey, secondLimit)]);
      const second = secondCounterKey !== undefined;
      const keys = [prefix + key, prefix + counterKey, ...(second ? [prefix + secondCounterKey] : [])];
      const args = [JSON.stringify(value), String(ms), String(limit), ...(second ? [String(secondLimit ?? Number.MAX_SAFE_INTEGER)] : [])];
      const reply = await run(() => evalAddCounted(client as Redis, keys, args));
      if (!Array.isArray(reply) || typeof reply[1] !== 'number') throw new Error('Redis store: the addCounted script answered unexpectedly');
      return { added: reply[0] === 1, count: reply[1], ...(second && typeof reply[2] === 'number' ? { clientCount: reply[2] } : {}) };
    },
    ready(wait = 5000) {
      if (!(typeof wait === 'number' && wait >= 0 && Number.isFinite(wait))) {
        return Promise.reject(new TypeError('RedisStore.ready(): "wait" must be a number of milliseconds ≥ 0'));
      }
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const settle = (connected: boolean) => {
          clearTimeout(timer);
          client.off('ready', onConnected);
          resolve(connected);
        };
        const onConnected = () => settle(true);
        const timer = setTimeout(() => settle(false), wait);
        client.once('ready', onConnected);
      });
    },
    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
      client.off('error', onError);
      client.off('ready', onReady);
    },
  };
  return store;
}

/**
 * `addCounted` in Redis: the marker first, and the count only for a marker this call added, so a
 * refused replay costs its key nothing; past the limit the marker is taken back, so a key over
 * its quota leaves nothing behind. `SET NX PX` + `INCR` is exactly what `increment` runs.
 */
const ADD_COUNTED_SCRIPT = `local second = KEYS[3] ~= nil
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  return { 0, tonumber(redis.call('GET', KEYS[2]) or '0'), second and tonumber(redis.call('GET', KEYS[3]) or '0') or -1 }
end
redis.call('SET', KEYS[2], '0', 'PX', ARGV[2], 'NX')
local count = redis.call('INCR', KEYS[2])
local secondCount = -1
if second then
  redis.call('SET', KEYS[3], '0', 'PX', ARGV[2], 'NX')
  secondCount = redis.call('INCR', KEYS[3])
end
if count > tonumber(ARGV[3]) or (second and secondCount > tonumber(ARGV[4])) then
  redis.call('DEL', KEYS[1])
  return { 0, count, secondCount }
end
return { 1, count, secondCount }`;
const ADD_COUNTED_SHA = createHash('sha1').update(ADD_COUNTED_SCRIPT).digest('hex');

/** `EVALSHA`, or `EVAL` (which caches the script again) when Redis does not know it (a restart, `SCRIPT FLUSH`). */
async function evalAddCounted(client: Redis, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  try {
    return await client.evalsha(ADD_COUNTED_SHA, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error | undefined)?.message).startsWith('NOSCRIPT')) throw error;
    return client.eval(ADD_COUNTED_SCRIPT, keys.length, ...keys, ...args);
  }
}

/** `addCounted` from `add`, `increment` and `delete`, for a Cluster (the keys may be in different slots). */
async function addCountedApart(
  store: Pick<RedisStore, 'get' | 'increment' | 'add' | 'delete'>, key: string, value: unknown, ttl: number,
  counters: ReadonlyArray<readonly [string, number]>,
): Promise<AddCountedResult> {
  const answer = (added: boolean, counts: number[]): AddCountedResult => ({ added, count: counts[0]!, ...(counts.length > 1 ? { clientCount: counts[1]! } : {}) });
  if (!await store.add(key, value, ttl)) {
    const current = await Promise.all(counters.map(([counter]) => store.get(counter)));
    return answer(false, current.map((count) => (typeof count === 'number' ? count : 0)));
  }
  const counts = await Promise.all(counters.map(([counter]) => store.increment(counter, ttl)));
  if (counts.every((count, index) => count <= counters[index]![1])) return answer(true, counts);
  await store.delete(key);
  return answer(false, counts);
}

/** The second counter of `addCounted`, when one was asked for. */
function counterOf(key: string | undefined, limit: number | undefined): Array<readonly [string, number]> {
  return key === undefined ? [] : [[key, limit ?? Number.MAX_SAFE_INTEGER]];
}

function readOptions(options: RedisStoreOptions): Required<RedisStoreOptions> {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRedisStore(): options must be an object');
  const known = ['prefix', 'timeout', 'maxInFlight', 'logger'];
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new TypeError(`createRedisStore(): unknown option "${name}"`);
  }
  const { prefix = DEFAULT_PREFIX, timeout = DEFAULT_TIMEOUT, maxInFlight = DEFAULT_MAX_IN_FLIGHT, logger = console } = options;
  if (typeof prefix !== 'string') throw new TypeError('createRedisStore(): "prefix" must be a string');
  if (!Number.isInteger(timeout) || timeout < 1) throw new TypeError('createRedisStore(): "timeout" must be a positive integer (ms)');
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new TypeError('createRedisStore(): "maxInFlight" must be a positive integer');
  if (typeof logger?.warn !== 'function') throw new TypeError('createRedisStore(): "logger" must have a warn() method');
  return { prefix, timeout, maxInFlight, logger };
}

function openClient(connection: RedisConnection): { client: Redis | Cluster; owned: boolean } {
  if (typeof connection !== 'object' || connection === null) {
    throw new TypeError('createRedisStore(): the first argument must be { client } or { url }');
  }
  if ('client' in connection) {
    const { client } = connection;
    if (typeof client?.set !== 'function' || typeof client.multi !== 'function' || typeof client.on !== 'function') {
      throw new TypeError('createRedisStore(): "client" must be an ioredis Redis or Cluster');
    }
    return { client, owned: false };
  }
  const { url, clientOptions } = connection as { url?: unknown; clientOptions?: RedisOptions };
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new TypeError('createRedisStore(): "url" must be a redis:// or rediss:// URL');
  }
  const client = new Redis(url, {
    // Fail now instead of queueing commands while disconnected: the guard answers 503 at once.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Keep reconnecting, at least once a second, so the guard recovers soon after Redis is back.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    ...clientOptions,
  });
  return { client, owned: true };
}

/** Seconds to whole milliseconds; 0 for anything that is not a positive number. */
function toMilliseconds(ttl: number): number {
  return typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl) ? Math.max(1, Math.ceil(ttl * 1000)) : 0;
}

/** A stored value; absent, or not JSON (not written by this store), reads as `undefined`. */
function parseValue(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
