import { createGuard, type Guard, type GuardOptions, type Store } from '@resource-guard/core';
import { assertKnownKeys, assertNonEmptyString, assertObject, isGuard, readNumber } from '@resource-guard/core/adapter';

/**
 * Start-up validation shared by the gateway patterns: every bad value throws a `TypeError` naming
 * the option (`resource-guard: "phantomToken.cacheTtl" must be ...`).
 */

/** Checks that `options` is an object with only `known` keys; `name` prefixes the messages. */
export function readOptions(options: unknown, known: readonly string[], name: string): Record<string, unknown> {
  if (options === undefined || options === null) throw new TypeError(`resource-guard: "${name}" options are required`);
  assertObject(options, name);
  assertKnownKeys(options as object, known, name);
  return options as Record<string, unknown>;
}

/** The guard that verifies the JWT before it is forwarded: a `Guard`, or options for a new one (`realm` defaulting to the gateway's). */
export function readGuard(value: unknown, name: string, realm: string): Guard {
  if (isGuard(value)) return value;
  if (typeof value !== 'object' || value === null) throw new TypeError(`resource-guard: "${name}" must be a Guard or guard options`);
  return createGuard({ realm, ...(value as GuardOptions) });
}

/** A `Store` (`get`, `set`), or `undefined` when none was given. */
export function readStore(value: unknown, name: string): Store | undefined {
  if (value === undefined) return undefined;
  const store = value as Partial<Store>;
  if (typeof value !== 'object' || value === null || typeof store.get !== 'function' || typeof store.set !== 'function') {
    throw new TypeError(`resource-guard: "${name}" must be a Store (get, set)`);
  }
  return value as Store;
}

/** A non-empty string, or `fallback` when absent. */
export function readString(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  assertNonEmptyString(value, name);
  return value;
}

/** A function, or `fallback` when absent. */
export function readFunction<F>(value: unknown, name: string, fallback: F): F {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new TypeError(`resource-guard: "${name}" must be a function`);
  return value as F;
}

export { readNumber };

/** A JSON Web Token's payload, decoded without verification (only after it was verified). */
export function decodePayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A synthetic request carrying `jwt`, for `guard.verify()`: the gateway verifies, it does not route. */
export function bearerRequest(jwt: string): { method: string; url: string; headers: Record<string, string> } {
  return { method: 'GET', url: 'http://gateway.invalid/', headers: { authorization: `Bearer ${jwt}` } };
}
