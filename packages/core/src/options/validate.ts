import { isPlainObject } from '../jws/jose-rules.js';

/**
 * Start-up option checks. Each throws a `TypeError` naming the option, so a misconfiguration
 * fails when the server starts, not on the first request.
 */

/** Throws unless `value` is a non-empty string. */
export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`resource-guard: "${name}" must be a non-empty string`);
  }
}

/** A string or a non-empty array of non-empty strings, as an array. */
export function toStringList(value: unknown, name: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new TypeError(`resource-guard: "${name}" must be a non-empty string or a non-empty array of non-empty strings`);
  }
  return [...new Set(list as string[])];
}

/** Throws unless `value` is a finite number ≥ `min` (or undefined, then `fallback`). */
export function readNumber(value: unknown, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`resource-guard: "${name}" must be a finite number ≥ ${min}`);
  }
  return value;
}

/** Throws unless `value` is a boolean (or undefined, then `fallback`). */
export function readBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`resource-guard: "${name}" must be a boolean`);
  return value;
}

/** Throws unless `value` is a plain object (or undefined). */
export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> | undefined {
  if (value !== undefined && !isPlainObject(value)) {
    throw new TypeError(`resource-guard: "${name}" must be an object`);
  }
}

/**
 * The option names of `T`, checked at compile time against the type: a name missing from the list
 * or not in `T` is a type error, so the list of known keys cannot drift from the options type.
 * Usage: `knownKeys<DpopOptions>()(['required', ...])`.
 */
export function knownKeys<T>() {
  return <const K extends ReadonlyArray<keyof T>>(keys: K & (Exclude<keyof T, K[number]> extends never ? unknown : { missing: Exclude<keyof T, K[number]> })): readonly (keyof T & string)[] => keys as readonly (keyof T & string)[];
}

/** Rejects option names the library does not know: a typo must not silently drop a check. */
export function assertKnownKeys(value: object, known: readonly string[], name: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(`resource-guard: unknown option "${name}${name ? '.' : ''}${key}" (known: ${known.join(', ')})`);
    }
  }
}

/** True for `localhost`, `127.0.0.0/8` and `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parses an authorization-server URL and enforces https, except on loopback or when
 * `allowInsecureRequests` is on. `where` names the option or metadata field for the message.
 */
export function parseServerUrl(value: unknown, where: string, allowInsecureRequests: boolean): URL {
  assertNonEmptyString(value, where);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`resource-guard: "${where}" must be an absolute URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (allowInsecureRequests || isLoopbackHost(url.hostname))) return url;
  throw new TypeError(
    `resource-guard: "${where}" must use https (plain http is allowed only on loopback, or with allowInsecureRequests: true)`,
  );
}
