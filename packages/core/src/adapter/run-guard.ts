import { guardInternals } from '../guard-brand.js';
import type { AuthenticateResult, Guard } from '../guard-types.js';
import type { GuardRequest } from '../http/request.js';
import type { AuthContext } from '../pipeline/context.js';
import { isPromiseLike } from '../lib/maybe-promise.js';

/**
 * How an adapter plugs the guard's verdict into its framework, written once per adapter (not per
 * request). `A`, `B`, `C` are the framework's own per-request arguments (Express `req`, `res`,
 * `next`; Koa `ctx`, `next`; Fastify `request`, `reply`, `done`), passed through unchanged so that
 * a request that settles at once allocates no closure.
 */
export interface GuardHandover<A, B, C, R> {
  /**
   * Keeps the verified context where the framework keeps per-request state. `auth` is undefined
   * only on an `optional` request without credentials: keep `guard` under `GUARD_KEY` then, so
   * that a route requirement can still answer with its 401 challenge.
   */
  keep(auth: AuthContext | undefined, guard: Guard, a: A, b: B): void;
  /** Sets one header of the eventual successful response (`DPoP-Nonce`, `Cache-Control`). */
  setHeader(name: string, value: string, a: A, b: B): void;
  /**
   * Whether the response has already been sent (a timeout middleware answered while the guard
   * waited): its headers are then left alone, since setting them would throw. Default: never.
   */
  sent?(a: A, b: B): boolean;
  /** Hands the request on. Called outside any `try`: what it throws belongs to the framework. */
  next(a: A, b: B, c: C): R;
  /** Hands over a rejection (a `GuardError` with `status` and `headers`) or anything `keep`/`setHeader` threw. */
  fail(error: unknown, a: A, b: B, c: C): R;
}

/** The `optional` mode of {@link runGuard}. */
export interface RunGuardOptions {
  /** Let requests without credentials through with no context; bad credentials still fail. */
  optional: boolean;
}

/**
 * The adapters' one hand-over from the guard to the framework. Runs the guard's pipeline; when no
 * stage had I/O to wait for (a JWT whose keys are loaded, a cache hit) the verdict is handed over
 * in the same tick and `next`'s own return value comes back, else a native promise of it (also
 * when a stage answered with a foreign thenable). A rejection, and anything `keep` or `setHeader`
 * throws, goes to `fail` exactly once, before or after a wait; `next` is called at most once, and
 * never after `fail`.
 */
export function runGuard<A, B, C, R>(
  guard: Guard, request: GuardRequest, options: RunGuardOptions, handover: GuardHandover<A, B, C, R>, a: A, b: B, c: C,
): R | Promise<Awaited<R>> {
  let result;
  try {
    result = guardInternals(guard).authenticate(request, options.optional);
    if (!isPromiseLike(result)) accept(guard, result, handover, a, b);
  } catch (error) {
    return handover.fail(error, a, b, c);
  }
  if (!isPromiseLike(result)) return handover.next(a, b, c);
  return Promise.resolve(result).then(
    (settled) => acceptThenNext(guard, settled, handover, a, b, c),
    (error: unknown) => handover.fail(error, a, b, c),
  ) as Promise<Awaited<R>>;
}

function accept<A, B, C, R>(guard: Guard, result: AuthenticateResult, handover: GuardHandover<A, B, C, R>, a: A, b: B): void {
  handover.keep(result.auth, guard, a, b);
  if (handover.sent?.(a, b) === true) return;
  const { headers } = result;
  for (const name of Object.keys(headers)) handover.setHeader(name, headers[name]!, a, b);
}

function acceptThenNext<A, B, C, R>(guard: Guard, result: AuthenticateResult, handover: GuardHandover<A, B, C, R>, a: A, b: B, c: C): R {
  try {
    accept(guard, result, handover, a, b);
  } catch (error) {
    return handover.fail(error, a, b, c);
  }
  return handover.next(a, b, c);
}
