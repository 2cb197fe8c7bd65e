import { isRejectionLogged } from '../errors/detail.js';
import { isGuardError, type GuardError } from '../errors/errors.js';
import { assertKnownKeys, assertObject } from '../options/validate.js';

/**
 * The response body and logging behind every adapter's error rendering (Express and Koa
 * `errorHandler()`, the Fastify plugin, the fetch adapter's `rejectionResponse()` and Hono
 * middleware, the gateway): a guard rejection as JSON with its challenge headers.
 * Framework-neutral, so every adapter renders the same answer.
 */

/**
 * The JSON body of a rejection, the same on every adapter. `error` is the RFC 6750 §3.1 error
 * value of the `WWW-Authenticate` challenge (`invalid_request`, `invalid_token`,
 * `insufficient_scope`, `invalid_dpop_proof`, ...), absent when the challenge has none (no
 * credentials, RFC 6750 §3.1) and for refusals without a challenge (5xx, a gateway's CSRF refusal).
 */
export interface ErrorResponseBody {
  /** The challenge's error value, when it has one. */
  error?: string;
  /** A fixed sentence about the request (4xx), or a generic one (5xx); never a token or a claim. */
  error_description: string;
}

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
   * `'oauth'` (default): `application/json` {@link ErrorResponseBody}, `{ "error",
   * "error_description" }` with `error` only when the challenge has one. `'problem'`: RFC 9457
   * `application/problem+json` with `type`, `title`, `status`, `detail` and the same members.
   */
  format?: 'oauth' | 'problem';
  /**
   * Each rejection is logged once: not here when the guard's `logRejections` logged it already
   * (4xx at the guard logger's `debug`, 5xx at its `error`); otherwise 5xx at `error` and 4xx
   * only at `debug`, if the logger given here has one. Default `console`, at `console.error`,
   * with 4xx left to `logRejections`.
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
    // One line per rejection: the guard's `logRejections` line when it wrote one, else this one.
    if (isRejectionLogged(error)) return renderBody(error, format, contentType);
    if (error.status >= 500) logger.error(logLine(error));
    else debug?.(logLine(error));
    return renderBody(error, format, contentType);
  };
}

// The documented body: {@link ErrorResponseBody}, or RFC 9457 members around it.
function renderBody(error: GuardError, format: 'oauth' | 'problem', contentType: string): ErrorResponse {
  const description = describe(error);
  // A token exchange the authorization server refused for this caller is not a challenge of ours,
  // but the application maps it to an answer of its own: it keeps the RFC 6749 value it documents.
  const value = error.error ?? (error.code === 'ERR_EXCHANGE_REFUSED' ? 'access_denied' : undefined);
  const members: ErrorResponseBody = value === undefined
    ? { error_description: description }
    : { error: value, error_description: description };
  const body = format === 'problem'
    ? { type: 'about:blank', title: TITLES[error.status] ?? 'Error', status: error.status, detail: description, ...members }
    : members;
  return {
    status: error.status,
    headers: { ...error.headers, 'content-type': contentType, 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}
