/**
 * A value now, or a promise of it later: what a stage returns when it only sometimes has I/O to
 * wait for. The pipeline runs synchronously until the first stage that hands back a promise, so
 * the common requests (a JWT whose keys are loaded, a cache hit) settle no promise but the one
 * `guard.verify()` returns.
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Whether `value` is a promise (any thenable: a custom store may return its own). Values of the
 * guard's own types are plain objects without `then`, so this never mistakes claims for a promise.
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
