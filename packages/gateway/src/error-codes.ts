/**
 * The gateway's own error codes (`ERR_GATEWAY_*`, and its OAuth agent's `ERR_AGENT_*`), each with the one core error class that may carry it (the
 * core's registry is `ERROR_CODE_CLASSES` of `@resource-guard/core`; a test checks every
 * `new XError(..., 'ERR_GATEWAY_...')` against this one). **Contract**: a code's value never
 * changes; each is in the error table of `docs/errors.md`. Rules the gateway shares with the
 * guard (bearer reading, introspection, RFC 9701) throw the guard's codes, not these.
 */
export const GATEWAY_ERROR_CODES = Object.freeze({
  // 401 invalid_token: the gateway's credentials (split token, token-handler cookie)
  ERR_GATEWAY_SPLIT_TOKEN_UNKNOWN: 'InvalidTokenError',
  ERR_GATEWAY_COOKIE_INVALID: 'InvalidTokenError',
  // 403 without a challenge: the CSRF defence on cookie-authenticated requests
  ERR_GATEWAY_CSRF_HEADER_MISSING: 'GuardError',
  ERR_GATEWAY_CSRF_TOKEN_INVALID: 'GuardError',
  ERR_GATEWAY_ORIGIN_NOT_ALLOWED: 'GuardError',
  // 503 with Retry-After: a phantom-token answer that is no JWT, the split-token store down
  ERR_GATEWAY_PHANTOM_RESPONSE_INVALID: 'UpstreamUnavailableError',
  ERR_GATEWAY_STORE_UNAVAILABLE: 'UpstreamUnavailableError',
  // the token handler's OAuth agent: 400 a login that cannot complete, 401 no session, 405
  ERR_AGENT_REQUEST_INVALID: 'InvalidRequestError', ERR_AGENT_LOGIN_COOKIE_INVALID: 'InvalidRequestError',
  ERR_AGENT_STATE_MISMATCH: 'InvalidRequestError', ERR_AGENT_AUTHORIZATION_FAILED: 'InvalidRequestError',
  ERR_AGENT_CODE_REJECTED: 'InvalidRequestError', ERR_AGENT_TOKEN_RESPONSE_INVALID: 'InvalidRequestError',
  ERR_AGENT_SESSION_MISSING: 'GuardError', ERR_AGENT_SESSION_EXPIRED: 'GuardError',
  ERR_AGENT_METHOD_NOT_ALLOWED: 'GuardError',
} as const);

/** A code of {@link GATEWAY_ERROR_CODES}. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;
