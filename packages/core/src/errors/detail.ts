import type { GuardError } from './errors.js';

/**
 * Helpers for a rejection's `detail`: the sentence that tells the operator what to fix (which
 * check, which claim, the configured value), for logs only. Values that came from the request
 * (`iss`, `aud`, `typ`, `alg`, `kid`) go through {@link quoteValue}: cut to a few dozen characters
 * and escaped, so a hostile token can neither flood a log line nor forge one (newlines, ANSI
 * escapes, bidi overrides). Details are built only when a request is rejected.
 */

/** How many characters of a value taken from a token a detail shows. */
// Long enough for an issuer URL with its tenant and trailing slash (the usual mismatch).
export const DETAIL_VALUE_MAX = 128;

/** How many items of a list (an `aud` array, the trusted issuers) a detail shows. */
export const DETAIL_LIST_MAX = 8;

// JSON.stringify escapes `"`, `\` and C0 controls; everything outside printable ASCII is escaped
// too (DEL, C1 controls, U+2028/9, bidi overrides, lone surrogates), so a line stays one line.
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;
const escapeChar = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A value for a detail: strings quoted and escaped, cut to `max` characters (marked `...`);
 * finite numbers, booleans and `null` as JSON; lists as up to {@link DETAIL_LIST_MAX} quoted items;
 * anything else by its type only.
 */
export function quoteValue(value: unknown, max = DETAIL_VALUE_MAX): string {
  if (typeof value === 'string') {
    const cut = value.length > max ? `${value.slice(0, max)}...` : value;
    return JSON.stringify(cut).replace(NOT_PRINTABLE_ASCII, escapeChar);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a non-finite number';
  if (typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return quoteList(value, max);
  if (value === undefined) return 'none';
  return typeof value === 'object' ? 'an object' : `a value of type ${typeof value}`;
}

/** The JSON type of a claim, for a detail that must not show the claim's value: `a number`, `an array`, ... */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A list for a detail: `["a", "b", ... (12 in all)]`, each item by {@link quoteValue}. */
export function quoteList(values: Iterable<unknown>, max = DETAIL_VALUE_MAX): string {
  const items: string[] = [];
  let count = 0;
  for (const value of values) {
    if (count < DETAIL_LIST_MAX) items.push(Array.isArray(value) ? 'an array' : quoteValue(value, max));
    count += 1;
  }
  return count > DETAIL_LIST_MAX ? `[${items.join(', ')}, ... (${count} in all)]` : `[${items.join(', ')}]`;
}

/** The `logRejections` line of one rejection: status, code, message and, when there is one, the detail. */
export function formatRejection(error: { status: number; code: string; message: string; detail?: string | undefined }): string {
  const detail = error.detail === undefined ? '' : ` (${error.detail})`;
  return `resource-guard: rejected ${error.status} ${error.code}: ${error.message}${detail}`;
}

/** Rejections `logRejections` has logged, so that an adapter's `errorHandler()` does not log them again. */
const loggedRejections = new WeakSet<GuardError>();

/** Whether `logRejections` already logged `error`. */
export function isRejectionLogged(error: GuardError): boolean {
  return loggedRejections.has(error);
}

/**
 * `logRejections`: each rejection once, a 4xx at `logger.debug` (checked at start-up to exist), a
 * 5xx (this server or its authorization server in trouble, not the caller's fault) at
 * `logger.error` with its cause. An adapter's `errorHandler()` skips what was logged here, so a
 * rejection is one line whichever of the two is configured.
 */
export function createRejectionLogger(logger: { debug?(message: string): void; error(message: string): void }): (error: GuardError) => void {
  const debug = logger.debug!.bind(logger);
  return (error) => {
    loggedRejections.add(error);
    if (error.status < 500) return debug(formatRejection(error));
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : '';
    logger.error(`${formatRejection(error)}${cause}`);
  };
}
