import { quoteValue } from '../errors/detail.js';
import { isGuardError } from '../errors/errors.js';
import type { Claims } from '../claims/claims.js';

/**
 * Keeps the claims of encrypted tokens out of errors and logs. The claims of a JWE are a secret
 * of the authorization server and the API (RFC 9068 §2.1: clients are not to read them), so a
 * rejection's `detail` (logged by `logRejections` and the adapters' `errorHandler()`) must not
 * show them: every value that came out of a decrypted payload (the inner JWS's header and
 * claims) is replaced by `[redacted]`, and so is the distance of a time claim from now. The
 * detail keeps what it says about the check and the configuration. Messages are fixed strings
 * and never carry a value, so only the detail is rewritten.
 */

/** Claims objects that came out of a decrypted token; a weak set, so it holds no claims alive. */
const decrypted = new WeakSet<object>();

/** Records that `claims` came out of a decrypted token (see {@link redactDecrypted}). */
export function markDecrypted(claims: Claims): Claims {
  decrypted.add(claims);
  return claims;
}

/** Whether `claims` came out of a decrypted token. */
export function isDecrypted(claims: object): boolean {
  return decrypted.has(claims);
}

const REDACTED = '[redacted]';
const QUOTED_REDACTED = JSON.stringify(REDACTED);
// "exp 1767225600 is 94 s before now (1767225694)": the distance gives the claim away.
const TIME_DISTANCE = /\b\d+(?:\.\d+)? s (before|after) now \(\d+(?:\.\d+)?\)/g;
// Values deeper than this are not shown by any detail (objects are described by their type).
const MAX_DEPTH = 4;

function collect(value: unknown, strings: Set<string>, numbers: Set<string>, depth: number): void {
  if (typeof value === 'string') {
    strings.add(quoteValue(value));
    // A space-separated claim (`scope`) is shown item by item by the scope requirements.
    if (value.includes(' ')) for (const item of value.split(' ')) if (item !== '') strings.add(quoteValue(item));
  } else if (typeof value === 'number') {
    if (Number.isFinite(value)) numbers.add(String(value));
  } else if (value !== null && typeof value === 'object' && depth < MAX_DEPTH) {
    for (const item of Array.isArray(value) ? value : Object.values(value)) collect(item, strings, numbers, depth + 1);
  }
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `error` with every value of `sources` (the decrypted header and claims) redacted from its
 * `detail`; the same error when it is not a `GuardError` or its detail shows none of them.
 * Claim names (`"aud"`, `"exp"`) stay: they name the check, not a value.
 */
export function redactDecrypted(error: unknown, sources: readonly unknown[]): unknown {
  if (!isGuardError(error) || error.detail === undefined) return error;
  const strings = new Set<string>();
  const numbers = new Set<string>();
  for (const source of sources) collect(source, strings, numbers, 0);
  let detail = error.detail.replace(TIME_DISTANCE, `${REDACTED} s $1 now`);
  // Quoted values cannot overlap (a quote inside one is escaped); a value equal to a claim name
  // redacts that name too, which costs the operator a word, never a secret.
  for (const quoted of strings) detail = detail.replaceAll(quoted, QUOTED_REDACTED);
  for (const number of numbers) {
    detail = detail.replace(new RegExp(`(?<![\\w.])${escapeRegExp(number)}(?![\\w.])`, 'g'), REDACTED);
  }
  return detail === error.detail ? error : error.withDetail(detail);
}

/** {@link redactDecrypted} for an error raised on the claims of a token: the claims are the source. */
export function redactClaimsOf(error: unknown, claims: Claims): unknown {
  return isDecrypted(claims) ? redactDecrypted(error, [claims]) : error;
}
