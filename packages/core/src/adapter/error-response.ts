import { isGuardError, type GuardError } from '../errors/errors.js';
import { assertKnownKeys, assertObject } from '../options/validate.js';

/**
 * The response body and logging behind the adapters' `errorHandler()`: a guard rejection as JSON
 * with its challenge headers. Framework-neutral, so every adapter renders the same answer.
 */

/** Where {@link createErrorResponder} reports rejections; never receives tokens or claims. */
export interface ErrorResponseLogger {
  /** Called once per 5xx rejection (the resource server or its authorization server is at fault). */
  error(message: string): void;
  /** Called for 4xx rejections, when present (they are the caller's fault, not worth a log line). */
  debug?(message: string): void;
}

/** Options of the adapters' `errorHandler()`. */
export interface ErrorResponseOptions {
  /**
   * `'oauth'` (default): `application/json` `{ "error", "error_description" }`, the members of an
   * RFC 6749 §5.2 error response. `'problem'`: RFC 9457 `application/problem+json` with `type`,
   * `title`, `status`, `detail` and the same two members.
   */
  format?: 'oauth' | 'problem';
  /**
   * 5xx are logged once each, at `error`; 4xx only at `debug`, if the logger given here has one.
   * Default `console`, at `console.error`, with 4xx not logged.
   */
  logger?: ErrorResponseLogger;
}

/** A rendered rejection: send `status`, `headers` and `body` as they are. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

// Rejections without an RFC 6750 error value (no credentials at all, 5xx) still need an `error`
// member; 500 and 503 use the RFC 6749 §4.1.2.1 values for the same situations.
function errorValue(error: GuardError): string {
  if (error.error !== undefined) return error.error;
  // A token exchange the authorization server refused for this caller (not their token being bad).
  if (error.code === 'ERR_EXCHANGE_REFUSED') return 'access_denied';
  if (error.status === 503) return 'temporarily_unavailable';
  if (error.status >= 500) return 'server_error';
  return 'unauthorized';
}

// 4xx messages are fixed strings about the request, safe to show. 5xx messages describe our
// configuration or our authorization server: the caller gets a generic sentence, the log the rest.
function describe(error: GuardError): string {
  if (error.expose) return error.message;
  if (error.status === 502) return 'A service this request needs refused this server';
  return error.status === 503
    ? 'The authorization server could not be reached; try again later'
    : 'The server could not check the credentials';
}

function logLine(error: GuardError): string {
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : '';
  const detail = error.detail === undefined ? '' : ` (${error.detail})`;
  return `resource-guard: ${error.status} ${error.code}: ${error.message}${detail}${cause}`;
}

/**
 * Validates `options` once (a bad one throws a `TypeError` naming it) and returns a function that
 * renders a guard rejection, or `undefined` for anything that is not one (the application's own
 * errors are not ours to render). Headers: the error's challenge headers (`WWW-Authenticate`,
 * `DPoP-Nonce`, `Retry-After`), `Content-Type`, and `Cache-Control: no-store`. The body never
 * contains the token, a claim, or the error's `code`.
 */
export function createErrorResponder(options: ErrorResponseOptions = {}): (error: unknown) => ErrorResponse | undefined {
  assertObject(options, 'errorHandler() options');
  assertKnownKeys(options as Record<string, unknown>, ['format', 'logger'], 'errorHandler');
  const format = options.format ?? 'oauth';
  if (format !== 'oauth' && format !== 'problem') throw new TypeError('resource-guard: "format" must be "oauth" or "problem"');
  const logger = options.logger ?? console;
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function'
    || (logger.debug !== undefined && typeof logger.debug !== 'function')) {
    throw new TypeError('resource-guard: "logger" must have an error() method (and optionally debug())');
  }
  // console.debug prints like console.log: with the default logger, 4xx are not logged at all.
  const debug = options.logger?.debug?.bind(options.logger);
  const contentType = format === 'problem' ? 'application/problem+json' : 'application/json; charset=utf-8';

  return function renderGuardError(error: unknown): ErrorResponse | undefined {
    if (!isGuardError(error)) return undefined;
    if (error.status >= 500) logger.error(logLine(error));
    else debug?.(logLine(error));
    const members = { error: errorValue(error), error_description: describe(error) };
    const body = format === 'problem'
      ? { type: 'about:blank', title: TITLES[error.status] ?? 'Error', status: error.status, detail: members.error_description, ...members }
      : members;
    return {
      status: error.status,
      headers: { ...error.headers, 'content-type': contentType, 'cache-control': 'no-store' },
      body: JSON.stringify(body),
    };
  };
}
