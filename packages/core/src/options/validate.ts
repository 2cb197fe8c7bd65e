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

/**
 * Rejects option names the library does not know: a typo must not silently drop a check. The
 * message suggests the closest known name (`did you mean "audience"?`) when one is near, or the
 * `hint` given for that name (an option that belongs somewhere else), and lists the known names.
 */
export function assertKnownKeys(value: object, known: readonly string[], name: string, hints: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const closest = Object.hasOwn(hints, key) ? undefined : closestName(key, known);
      const advice = Object.hasOwn(hints, key) ? ` ${hints[key]!};` : closest === undefined ? '' : ` did you mean "${closest}"?`;
      throw new TypeError(`resource-guard: unknown option "${name}${name ? '.' : ''}${key}":${advice} (known: ${known.join(', ')})`);
    }
  }
}

/**
 * The known name nearest to `key` by edit distance (case-insensitive), if a typo could explain the
 * difference: at most a third of the name's length, at least 1, at most 3 edits.
 */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

// Levenshtein distance; option names are short, and this runs only on a start-up error.
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
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
