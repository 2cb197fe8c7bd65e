import type { Store } from './memory-store.js';

/**
 * Single flight for the caches that call an authorization server (introspection answers,
 * exchanged tokens): one upstream call per key at a time in this process ({@link SingleFlight}),
 * and, on a store shared by several processes, one across all of them ({@link loadUnderLease}).
 */

/** How a load ended: a value, or the error every waiter gets (errors are immutable, so shared). */
export type Outcome<T> = { value: T } | { error: unknown };

/** First and longest pause between two looks at the store while another process loads, ms. */
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 100;

/**
 * Concurrent loads of one key share one call: a map of promises keyed by the cache key, removed
 * when the call settles, so it holds at most one entry per key being loaded right now (bounded by
 * concurrency, not by traffic).
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<Outcome<T>>>();

  /** The value of the load of `key` in flight, or `undefined` when none is. */
  joinPending(key: string): Promise<T> | undefined {
    const pending = this.#inFlight.get(key);
    return pending === undefined ? undefined : join(pending);
  }

  /** Joins the load of `key` in flight, else starts `load` (checked again: one may have started since the caller looked). */
  /** Whether a load for `key` is under way in this process (for the cache's join/miss count). */
  has(key: string): boolean {
    return this.#inFlight.has(key);
  }

  run(key: string, load: () => Promise<Outcome<T>>): Promise<T> {
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = load().finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return join(pending);
  }
}

async function join<T>(pending: Promise<Outcome<T>>): Promise<T> {
  const outcome = await pending;
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** What {@link loadUnderLease} needs. */
export interface LeasedLoad<T> {
  store: Store;
  /** The lease's key: a fixed prefix and a hash, never a credential. */
  leaseKey: string;
  /** Milliseconds: the upstream call's timeout. The lease lives this plus 1 s; waiters wait at most this. */
  timeout: number;
  /** The usable value another process stored, `undefined` for none; never throws. */
  readStored: () => Promise<T | undefined>;
  /** Calls upstream and stores what is cacheable, before it resolves; never throws. */
  load: () => Promise<Outcome<T>>;
  /** Called when the store cannot take the lease (the load then goes ahead without one). */
  onLeaseError?: (() => void) | undefined;
}

/**
 * Calls upstream unless another process sharing the store already does: the process that wins an
 * atomic `add` of the lease calls; the others look at the store (every 10 ms at first, at most
 * every 100 ms) until the value is there, the lease is gone with nothing stored (the call failed,
 * or its value is not cacheable) or the timeout has passed, and only then call themselves. One
 * call per key for N processes; a lease holder that dies costs the others at most one timeout.
 * Only with a store that can `delete` (a lease that outlived a failed call would make every process
 * wait out its TTL); a store that cannot take the lease is no reason to wait: the call is made.
 */
export async function loadUnderLease<T>({ store, leaseKey, timeout, readStored, load, onLeaseError }: LeasedLoad<T>): Promise<Outcome<T>> {
  if (store.delete === undefined) return load();
  let leased: boolean;
  try {
    leased = await store.add(leaseKey, 1, timeout / 1000 + 1) === true;
  } catch {
    onLeaseError?.();
    return load();
  }
  if (leased) {
    try {
      // Another process may have stored the value and given the lease back between our miss and
      // our add: look once more before calling (the value is stored before the lease goes).
      const stored = await readStored();
      if (stored !== undefined) return { value: stored };
      return await load();
    } finally {
      // Waiting processes then look once more and call upstream themselves when nothing was stored.
      await Promise.resolve().then(() => store.delete!(leaseKey)).catch(() => undefined);
    }
  }
  // Real time, not the guard's clock (which tests may stop): the pauses are real timers.
  const deadline = performance.now() + timeout;
  for (let pause = POLL_FIRST_MS; performance.now() < deadline; pause = Math.min(pause * 2, POLL_MAX_MS)) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    const stored = await readStored();
    if (stored !== undefined) return { value: stored };
    const held = await Promise.resolve().then(() => store.get(leaseKey)).catch(() => undefined);
    if (held === undefined) {
      // The holder may have stored its value and given the lease back since the look above (it
      // stores first, then lets go): look once more before calling.
      const value = await readStored();
      if (value !== undefined) return { value };
      break;
    }
  }
  return load();
}
