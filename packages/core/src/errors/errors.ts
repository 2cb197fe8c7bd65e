import { StacklessError } from '#stackless-error';
import type { ErrorCode } from './codes.js';

/**
 * The error hierarchy. Every rejection the guard makes is a `GuardError` with a stable `code`
 * (`ERR_AREA_REASON`, listed in `codes.ts`), the HTTP `status`, the RFC error value (`error`) and,
 * once the guard has rendered it, the response `headers` (`WWW-Authenticate`, `DPoP-Nonce`, `Retry-After`).
 *
 * Messages are fixed strings chosen by the library: never the token, a claim value or anything else
 * a client sent, so that error pages and logs cannot leak credentials. What the operator needs to
 * fix a rejection (which claim, which configured value) is the separate `detail`, for logs only.
 */

/** RFC 6750 §3.1 / RFC 9449 §7.1 / RFC 9470 §3 error values carried in a challenge. */
export type ChallengeError =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_user_authentication';

/** Options every `GuardError` accepts besides its message. */
export interface GuardErrorOptions {
  /** The underlying error (network failure, parser error without client data, ...). */
  cause?: unknown;
  /** Challenge parameters besides `error` (e.g. `scope`, `acr_values`, `max_age`). */
  challengeParams?: Record<string, string>;
  /** Which scheme's challenge carries the error details; set by the pipeline. */
  scheme?: 'Bearer' | 'DPoP';
  /** Response headers known when the error is made (e.g. a fresh `DPoP-Nonce`); the challenge is added when it is rendered. */
  headers?: Record<string, string>;
  /**
   * What to fix, for logs (see {@link GuardError.detail}): which check, which claim, the
   * configured value. Never the token; values the client sent only cut short and escaped.
   */
  detail?: string;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The base of `GuardError`: 4xx made without a stack capture (`#stackless-error`: on Node the
 * `Error` of a private realm whose `stackTraceLimit` is 0), 5xx as plain `Error`s with their
 * stack. A client error is an expected outcome, not a bug, and capturing a stack trace costs more
 * than the rest of a rejection (a flood of bad tokens is all rejections). Errors made so are
 * native errors (`isNativeError`; test frameworks and loggers see an error) of our classes.
 */
const ErrorBase = function ErrorBase(message: string, status: number, cause: unknown): Error {
  const init = cause === undefined ? undefined : { cause };
  return Reflect.construct(status >= 500 ? Error : StacklessError, [message, init], new.target) as Error;
} as unknown as new (message: string, status: number, cause: unknown) => Error;
ErrorBase.prototype = Error.prototype;

/**
 * Base class of every error the guard throws to reject a request. It is shaped so that Express's
 * final handler and Koa's `ctx.onerror` render it as is: `status`, `expose` and `headers`.
 * Immutable: the guard renders the challenge onto a copy (see {@link withHeaders}), so one error
 * shared by concurrent requests (a failed introspection call, say) serves each of them.
 */
export class GuardError extends ErrorBase {
  /** Stable machine-readable code, e.g. `ERR_TOKEN_EXPIRED` (see `GUARD_ERROR_CODES`). */
  readonly code: ErrorCode;
  /** HTTP status for the response. */
  readonly status: number;
  /** The RFC error value for the challenge; `undefined` when the challenge carries none. */
  readonly error: ChallengeError | undefined;
  /** Whether the message may be shown to the client (true for 4xx: the messages are fixed strings). */
  readonly expose: boolean;
  /** Response headers (`WWW-Authenticate`, `DPoP-Nonce`, `Retry-After`), frozen. */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra challenge auth-params (e.g. `scope`). */
  readonly challengeParams: Readonly<Record<string, string>>;
  /** Scheme whose challenge carries `error`; defaults to the scheme the request used. */
  readonly scheme: 'Bearer' | 'DPoP' | undefined;
  /**
   * What to fix, for the operator's logs: which check failed, which claim, the configured value
   * expected (e.g. `required claim "client_id" is absent (requiredClaims: [...])`); `undefined`
   * when there is nothing to add to the message. Values taken from the token (`iss`, `aud`,
   * `typ`, `alg`, `kid`) are cut to 64 characters and escaped; the token itself never appears.
   * Never sent to the client (not in the challenge, not in `errorHandler()` bodies) and not
   * enumerable, so serializing the error does not copy it: read it, or turn on `logRejections`.
   */
  declare readonly detail: string | undefined;

  constructor(
    message: string,
    code: ErrorCode,
    status: number,
    error: ChallengeError | undefined,
    options: GuardErrorOptions = {},
  ) {
    super(message, status, options.cause);
    this.name = new.target.name;
    if (status < 500) Object.defineProperty(this, 'stack', { value: `${this.name}: ${message}`, writable: true, configurable: true, enumerable: false });
    this.code = code;
    this.status = status;
    this.error = error;
    this.expose = status < 500;
    this.headers = options.headers === undefined ? NO_HEADERS : Object.freeze({ ...options.headers });
    this.challengeParams = options.challengeParams === undefined ? NO_PARAMS : Object.freeze({ ...options.challengeParams });
    this.scheme = options.scheme;
    Object.defineProperty(this, 'detail', { value: options.detail, enumerable: false });
  }

  /**
   * A copy of this error with `headers` added to its own (the rendered rejection); this error is
   * left as it is. Same class, code, message, stack, cause and fields.
   */
  withHeaders(headers: Readonly<Record<string, string>>): this {
    return copyWith(this, 'headers', Object.freeze({ ...this.headers, ...headers }), true);
  }

  /**
   * A copy of this error with another `detail` (e.g. with values of a decrypted token redacted);
   * this error is left as it is.
   */
  withDetail(detail: string | undefined): this {
    return copyWith(this, 'detail', detail, false);
  }

}

// A copy made without the constructor (no new stack), so copies of copies work the same way.
function copyWith<T extends GuardError>(error: T, name: 'headers' | 'detail', value: unknown, enumerable: boolean): T {
  const copy = Reflect.construct(StacklessError, [error.message], (Object.getPrototypeOf(error) as object).constructor) as T;
  const descriptors = Object.getOwnPropertyDescriptors(error) as Record<string, PropertyDescriptor>;
  // The other attributes as the original has them: `headers` stays writable (Koa's CORS sets it).
  descriptors[name] = { ...descriptors[name], value, enumerable };
  Object.defineProperties(copy, descriptors);
  return copy;
}

/** 401 without an `error` attribute: the request carried no credentials (RFC 6750 §3.1). */
export class MissingCredentialsError extends GuardError {
  constructor(message = 'Authentication required', options?: Pick<GuardErrorOptions, 'detail'>) {
    super(message, 'ERR_CREDENTIALS_MISSING', 401, undefined, options);
  }
}

/** 400 `invalid_request`: malformed credentials or more than one of them (RFC 6750 §3.1). */
export class InvalidRequestError extends GuardError {
  constructor(message: string, code: ErrorCode = 'ERR_REQUEST_INVALID', options?: GuardErrorOptions) {
    super(message, code, 400, 'invalid_request', options);
  }
}

/** 401 `invalid_token`: expired, revoked, malformed or forged token (RFC 6750 §3.1). */
export class InvalidTokenError extends GuardError {
  constructor(message: string, code: ErrorCode = 'ERR_TOKEN_INVALID', options?: GuardErrorOptions) {
    super(message, code, 401, 'invalid_token', options);
  }
}

/** 403 `insufficient_scope`: the token is valid but lacks what the route requires (RFC 6750 §3.1). */
export class InsufficientScopeError extends GuardError {
  constructor(message: string, code: ErrorCode = 'ERR_SCOPE_INSUFFICIENT', options?: GuardErrorOptions) {
    super(message, code, 403, 'insufficient_scope', options);
  }
}

/** 401 `invalid_dpop_proof` in the DPoP challenge (RFC 9449 §7.1). */
export class InvalidDpopProofError extends GuardError {
  constructor(message: string, code: ErrorCode = 'ERR_DPOP_PROOF_INVALID', options?: GuardErrorOptions) {
    super(message, code, 401, 'invalid_dpop_proof', { ...options, scheme: 'DPoP' });
  }
}

/** 401 `use_dpop_nonce` with a fresh `DPoP-Nonce` header (RFC 9449 §9). */
export class UseDpopNonceError extends GuardError {
  constructor(message = 'A fresh DPoP nonce is required', options?: GuardErrorOptions) {
    super(message, 'ERR_DPOP_NONCE_REQUIRED', 401, 'use_dpop_nonce', { ...options, scheme: 'DPoP' });
  }
}

/** 401 `insufficient_user_authentication` (RFC 9470 §3). */
export class InsufficientUserAuthenticationError extends GuardError {
  constructor(message: string, options?: GuardErrorOptions) {
    super(message, 'ERR_USER_AUTHENTICATION_INSUFFICIENT', 401, 'insufficient_user_authentication', options);
  }
}

/**
 * 503 with `Retry-After`: the authorization server (discovery, JWKS, introspection) could not be
 * reached or answered garbage. Never a 401: the token may well be valid. Never cached.
 */
export class UpstreamUnavailableError extends GuardError {
  /** Seconds the client should wait; rendered as `Retry-After`. */
  readonly retryAfter: number;
  constructor(message: string, code: ErrorCode = 'ERR_UPSTREAM_UNAVAILABLE', options: GuardErrorOptions & { retryAfter?: number } = {}) {
    const retryAfter = options.retryAfter ?? 5;
    super(message, code, 503, undefined, { ...options, headers: { ...options.headers, 'Retry-After': String(retryAfter) } });
    this.retryAfter = retryAfter;
  }
}

/**
 * 500: the resource server is misconfigured (e.g. the introspection endpoint rejects our client
 * credentials, or a middleware runs in the wrong order). Not the caller's fault; logged by the host.
 */
export class MisconfigurationError extends GuardError {
  constructor(message: string, code: ErrorCode = 'ERR_MISCONFIGURED', options?: GuardErrorOptions) {
    super(message, code, 500, undefined, options);
  }
}

/**
 * The authorization server refused a token exchange (RFC 8693 §2.2.2). Not the caller's token
 * being bad (it was verified): never a 401. `ERR_EXCHANGE_REFUSED` (403 by default) when the AS
 * will not give this subject a token for that target (`invalid_target`, `invalid_scope`,
 * `invalid_grant`, `access_denied`, ...); `ERR_EXCHANGE_CLIENT_REJECTED` (502) when it rejects
 * this API as a client (`invalid_client`, `unauthorized_client`, `unsupported_grant_type`,
 * `invalid_request`, HTTP 401/403): a configuration to fix, logged once per call. Map either to the
 * status your API answers with; no challenge header is set.
 */
export class TokenExchangeRefusedError extends GuardError {
  /** The AS's `error` value (RFC 6749 §5.2 charset, at most 64 characters), `undefined` when it sent none. */
  readonly oauthError: string | undefined;
  constructor(message: string, code: 'ERR_EXCHANGE_REFUSED' | 'ERR_EXCHANGE_CLIENT_REJECTED', oauthError: string | undefined, options?: GuardErrorOptions) {
    super(message, code, code === 'ERR_EXCHANGE_REFUSED' ? 403 : 502, undefined, options);
    this.oauthError = oauthError;
  }
}

/** True when `value` is a `GuardError` (also across duplicated copies of this package). */
export function isGuardError(value: unknown): value is GuardError {
  return value instanceof GuardError
    || (value instanceof Error && typeof (value as { code?: unknown }).code === 'string'
      && typeof (value as { status?: unknown }).status === 'number'
      && typeof (value as { headers?: unknown }).headers === 'object'
      && String((value as unknown as { code: string }).code).startsWith('ERR_'));
}
