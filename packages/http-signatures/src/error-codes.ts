/**
 * This package's error codes (`ERR_HTTPSIG_*`), each with the one core error class that may carry
 * it (the core's registry is `ERROR_CODE_CLASSES` of `@resource-guard/core`; a test checks every
 * code of these sources against this one). **Contract**: a code's value never changes; each is
 * in the error table of `docs/errors.md`. A request that reaches the verifier without a verified
 * token (no `protect()` before it) gets the core's `ERR_MISCONFIGURED_MIDDLEWARE_ORDER`.
 */
export const HTTP_SIGNATURE_ERROR_CODES = Object.freeze({
  // 400 invalid_request: Signature-Input / Signature that are not valid RFC 9421 §4 fields, or too large
  ERR_HTTPSIG_MALFORMED: 'InvalidRequestError', ERR_HTTPSIG_TOO_LARGE: 'InvalidRequestError',
  // 401 invalid_request (with Accept-Signature): no acceptable signature
  ERR_HTTPSIG_MISSING: 'GuardError', ERR_HTTPSIG_TAG_INVALID: 'GuardError',
  ERR_HTTPSIG_COMPONENT_MISSING: 'GuardError', ERR_HTTPSIG_COMPONENT_INVALID: 'GuardError',
  ERR_HTTPSIG_CREATED_MISSING: 'GuardError', ERR_HTTPSIG_CREATED_EXPIRED: 'GuardError',
  ERR_HTTPSIG_CREATED_FUTURE: 'GuardError', ERR_HTTPSIG_EXPIRED: 'GuardError',
  ERR_HTTPSIG_DIGEST_MISMATCH: 'GuardError', ERR_HTTPSIG_DIGEST_UNSUPPORTED: 'GuardError',
  ERR_HTTPSIG_KEY_UNKNOWN: 'GuardError', ERR_HTTPSIG_KEY_UNUSABLE: 'GuardError',
  ERR_HTTPSIG_ALG_MISMATCH: 'GuardError', ERR_HTTPSIG_SIGNATURE_INVALID: 'GuardError',
  ERR_HTTPSIG_REPLAYED: 'GuardError', ERR_HTTPSIG_NONCE_MISSING: 'GuardError',
  // 413: a body larger than the verifier reads to check its digest
  ERR_HTTPSIG_BODY_TOO_LARGE: 'GuardError',
  // 503 with Retry-After: the application's key source failed
  ERR_HTTPSIG_KEYS_UNAVAILABLE: 'UpstreamUnavailableError',
  // 503 with Retry-After: the replay guard's store failed (fail closed)
  ERR_HTTPSIG_REPLAY_STORE_UNAVAILABLE: 'UpstreamUnavailableError',
  // 500: the raw body of a request with a body is not available to the middleware
  ERR_HTTPSIG_BODY_UNAVAILABLE: 'MisconfigurationError',
} as const);

/** A code of {@link HTTP_SIGNATURE_ERROR_CODES}. */
export type HttpSignatureErrorCode = keyof typeof HTTP_SIGNATURE_ERROR_CODES;
