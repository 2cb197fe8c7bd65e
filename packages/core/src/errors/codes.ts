/**
 * The registry of every error code the core uses, each with the one error class that may carry
 * it (a test checks every `new XError(..., 'ERR_...')` of the sources against it: a 401 class
 * never carries a 400's code). **Contract**: a code's value never changes (users match on it); a
 * new check adds its code here, and to the error table of the README. `ERR_TOKEN_*` are claim
 * checks shared by JWTs and introspection answers, `ERR_JWT_*` JWT-only ones. Other packages
 * keep their own codes (the gateway's `ERR_GATEWAY_*`).
 */
export const ERROR_CODE_CLASSES = Object.freeze({
  // 401, no `error`: no credentials
  ERR_CREDENTIALS_MISSING: 'MissingCredentialsError',
  // 400 invalid_request
  ERR_REQUEST_INVALID: 'InvalidRequestError', ERR_REQUEST_MALFORMED_CREDENTIALS: 'InvalidRequestError',
  ERR_REQUEST_MULTIPLE_METHODS: 'InvalidRequestError', ERR_REQUEST_MULTIPLE_AUTHORIZATION: 'InvalidRequestError',
  ERR_REQUEST_HOST_INVALID: 'InvalidRequestError', ERR_REQUEST_TARGET_INVALID: 'InvalidRequestError',
  ERR_REQUEST_URL_INVALID: 'InvalidRequestError', ERR_REQUEST_BODY_NOT_ASCII: 'InvalidRequestError',
  // 413: a form body too large to look for a token in (the fetch adapter reads bodies itself)
  ERR_REQUEST_BODY_TOO_LARGE: 'GuardError',
  // 401 invalid_token: the token and its claims
  ERR_TOKEN_INVALID: 'InvalidTokenError', ERR_TOKEN_TOO_LONG: 'InvalidTokenError',
  ERR_TOKEN_FORMAT_UNSUPPORTED: 'InvalidTokenError', ERR_TOKEN_EXPIRED: 'InvalidTokenError',
  ERR_TOKEN_NOT_YET_VALID: 'InvalidTokenError',
  ERR_TOKEN_IAT_IN_FUTURE: 'InvalidTokenError', ERR_TOKEN_AUDIENCE_INVALID: 'InvalidTokenError',
  ERR_TOKEN_CLAIM_MISSING: 'InvalidTokenError', ERR_TOKEN_CLAIM_INVALID: 'InvalidTokenError',
  ERR_TOKEN_VALIDATOR_FAILED: 'InvalidTokenError', ERR_TOKEN_NOT_ACCESS_TOKEN: 'InvalidTokenError',
  ERR_TOKEN_ID_TOKEN: 'InvalidTokenError', ERR_TOKEN_PRINCIPAL_UNTRUSTED: 'InvalidTokenError',
  ERR_TOKEN_SECURITY_EVENT: 'InvalidTokenError',
  ERR_JWT_TENANT_MISMATCH: 'InvalidTokenError',
  ERR_JWT_MALFORMED: 'InvalidTokenError', ERR_JWT_ALG_NOT_ALLOWED: 'InvalidTokenError', ERR_JWT_TYP_INVALID: 'InvalidTokenError',
  ERR_JWT_CRIT_UNSUPPORTED: 'InvalidTokenError', ERR_JWT_ISSUER_UNTRUSTED: 'InvalidTokenError',
  ERR_JWS_SIGNATURE_INVALID: 'InvalidTokenError', ERR_JWKS_NO_MATCHING_KEY: 'InvalidTokenError',
  ERR_JWKS_KEY_AMBIGUOUS: 'InvalidTokenError',
  ERR_JWE_MALFORMED: 'InvalidTokenError', ERR_JWE_ALG_NOT_ALLOWED: 'InvalidTokenError',
  ERR_JWE_ENC_NOT_ALLOWED: 'InvalidTokenError', ERR_JWE_ZIP_UNSUPPORTED: 'InvalidTokenError',
  ERR_JWE_CTY_INVALID: 'InvalidTokenError',
  ERR_JWE_DECRYPTION_FAILED: 'InvalidTokenError', ERR_JWE_REQUIRED: 'InvalidTokenError',
  ERR_JWE_KEY_AMBIGUOUS: 'InvalidTokenError',
  ERR_INTROSPECTION_INACTIVE: 'InvalidTokenError', ERR_INTROSPECTION_MALFORMED: 'InvalidTokenError',
  ERR_INTROSPECTION_ISSUER_UNTRUSTED: 'InvalidTokenError', ERR_INTROSPECTION_TOKEN_UNSUPPORTED: 'InvalidTokenError',
  ERR_INTROSPECTION_AUDIENCE_MISSING: 'InvalidTokenError',
  ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID: 'InvalidTokenError',
  // 401 invalid_token: sender binding (RFC 9449, RFC 8705)
  ERR_DPOP_BEARER_DOWNGRADE: 'InvalidTokenError', ERR_DPOP_TOKEN_UNBOUND: 'InvalidTokenError',
  ERR_DPOP_BINDING_INVALID: 'InvalidTokenError', ERR_DPOP_BINDING_MISMATCH: 'InvalidTokenError',
  ERR_DPOP_REQUIRED: 'InvalidTokenError',
  ERR_MTLS_DISABLED: 'InvalidTokenError', ERR_MTLS_REQUIRED: 'InvalidTokenError', ERR_MTLS_BINDING_INVALID: 'InvalidTokenError',
  ERR_MTLS_BINDING_MISMATCH: 'InvalidTokenError', ERR_MTLS_CERTIFICATE_MISSING: 'InvalidTokenError',
  ERR_MTLS_CERTIFICATE_MALFORMED: 'InvalidTokenError',
  // 401 invalid_token: the FAPI 2.0 preset (`fapi`)
  ERR_FAPI_SENDER_CONSTRAINT_REQUIRED: 'InvalidTokenError', ERR_FAPI_KEY_NOT_ALLOWED: 'InvalidTokenError',
  // 401 invalid_dpop_proof / use_dpop_nonce (RFC 9449 §4.3, §9)
  ERR_DPOP_PROOF_INVALID: 'InvalidDpopProofError', ERR_DPOP_PROOF_MISSING: 'InvalidDpopProofError',
  ERR_DPOP_PROOF_MULTIPLE: 'InvalidDpopProofError', ERR_DPOP_PROOF_TOO_LONG: 'InvalidDpopProofError',
  ERR_DPOP_PROOF_MALFORMED: 'InvalidDpopProofError',
  ERR_DPOP_TYP_INVALID: 'InvalidDpopProofError', ERR_DPOP_ALG_NOT_ALLOWED: 'InvalidDpopProofError',
  ERR_DPOP_CRIT_UNSUPPORTED: 'InvalidDpopProofError', ERR_DPOP_JWK_INVALID: 'InvalidDpopProofError',
  ERR_DPOP_JWK_PRIVATE: 'InvalidDpopProofError',
  ERR_DPOP_JWK_ALG_MISMATCH: 'InvalidDpopProofError', ERR_DPOP_SIGNATURE_INVALID: 'InvalidDpopProofError',
  ERR_DPOP_HTM_MISMATCH: 'InvalidDpopProofError', ERR_DPOP_HTU_MISMATCH: 'InvalidDpopProofError',
  ERR_DPOP_IAT_INVALID: 'InvalidDpopProofError',
  ERR_DPOP_IAT_EXPIRED: 'InvalidDpopProofError', ERR_DPOP_IAT_FUTURE: 'InvalidDpopProofError',
  ERR_DPOP_JTI_INVALID: 'InvalidDpopProofError', ERR_DPOP_JTI_REPLAYED: 'InvalidDpopProofError',
  ERR_DPOP_ATH_MISSING: 'InvalidDpopProofError',
  ERR_DPOP_ATH_MISMATCH: 'InvalidDpopProofError', ERR_DPOP_NONCE_REQUIRED: 'UseDpopNonceError',
  // 403 insufficient_scope, 401 insufficient_user_authentication: route requirements
  ERR_SCOPE_INSUFFICIENT: 'InsufficientScopeError', ERR_CLAIMS_INSUFFICIENT: 'InsufficientScopeError',
  ERR_USER_AUTHENTICATION_INSUFFICIENT: 'InsufficientUserAuthenticationError',
  ERR_AUTHORIZATION_DETAILS_INSUFFICIENT: 'InsufficientScopeError',
  // token exchange (RFC 8693): 403 the AS refused the exchange, 502 it rejected this API as a client
  ERR_EXCHANGE_REFUSED: 'TokenExchangeRefusedError', ERR_EXCHANGE_CLIENT_REJECTED: 'TokenExchangeRefusedError',
  // MCP transport rules (@resource-guard/mcp), answered with a JSON-RPC error, no challenge:
  // 403 Origin not allowed, 400 request metadata headers that do not match the body, 400 unreadable body
  ERR_MCP_ORIGIN_NOT_ALLOWED: 'McpProtocolError', ERR_MCP_HEADER_MISMATCH: 'McpProtocolError',
  ERR_MCP_BODY_UNREADABLE: 'McpProtocolError',
  // 503 with Retry-After: the authorization server or the shared store
  ERR_UPSTREAM_UNAVAILABLE: 'UpstreamUnavailableError', ERR_DISCOVERY_UNAVAILABLE: 'UpstreamUnavailableError',
  ERR_JWKS_UNAVAILABLE: 'UpstreamUnavailableError', ERR_INTROSPECTION_UNAVAILABLE: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_JWT_EXPECTED: 'UpstreamUnavailableError', ERR_INTROSPECTION_JWT_MALFORMED: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_JWT_ALG_NOT_ALLOWED: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_JWT_TYP_INVALID: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_JWT_ISSUER_INVALID: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_JWT_SIGNATURE_INVALID: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_JWT_AUDIENCE_INVALID: 'UpstreamUnavailableError', ERR_INTROSPECTION_JWT_STALE: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_JWT_KEY_NOT_ALLOWED: 'UpstreamUnavailableError',
  ERR_DPOP_REPLAY_STORE_UNAVAILABLE: 'UpstreamUnavailableError', ERR_DPOP_REPLAY_QUOTA_EXCEEDED: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_STORE_UNAVAILABLE: 'UpstreamUnavailableError',
  ERR_INTROSPECTION_CREDENTIAL_UNAVAILABLE: 'UpstreamUnavailableError',
  ERR_EXCHANGE_UNAVAILABLE: 'UpstreamUnavailableError', ERR_EXCHANGE_RESPONSE_INVALID: 'UpstreamUnavailableError',
  // 500: misconfiguration
  ERR_MISCONFIGURED: 'MisconfigurationError', ERR_MISCONFIGURED_MIDDLEWARE_ORDER: 'MisconfigurationError',
  ERR_MISCONFIGURED_BODY_PARSER: 'MisconfigurationError',
  ERR_INTROSPECTION_CLIENT_REJECTED: 'MisconfigurationError', ERR_INTROSPECTION_ENDPOINT_UNKNOWN: 'MisconfigurationError',
  ERR_DISCOVERY_NOT_FOUND: 'MisconfigurationError',
  ERR_EXCHANGE_ENDPOINT_UNKNOWN: 'MisconfigurationError', ERR_EXCHANGE_CONTEXT_INVALID: 'MisconfigurationError',
} as const);

/** The classes of {@link ERROR_CODE_CLASSES}, by name. */
export type GuardErrorClassName = (typeof ERROR_CODE_CLASSES)[keyof typeof ERROR_CODE_CLASSES];

/** The codes registered for the class named `K`. */
export type ErrorCodeOf<K extends GuardErrorClassName> = {
  [C in keyof typeof ERROR_CODE_CLASSES]: (typeof ERROR_CODE_CLASSES)[C] extends K ? C : never
}[keyof typeof ERROR_CODE_CLASSES];

/** Every code the library throws, in registry order. **Contract** (see {@link ERROR_CODE_CLASSES}). */
export const GUARD_ERROR_CODES: readonly GuardErrorCode[] = Object.freeze(Object.keys(ERROR_CODE_CLASSES) as GuardErrorCode[]);

/** Every code the library itself throws (see {@link GUARD_ERROR_CODES}). */
export type GuardErrorCode = keyof typeof ERROR_CODE_CLASSES;

/**
 * What a `GuardError`'s `code` may be: one of the library's codes, or a code of your own for
 * errors you throw from custom requirements (`ERR_AREA_REASON` too, so logs can tell them apart).
 */
// `& {}` keeps the library codes in editor completions next to the open template type.
export type ErrorCode = GuardErrorCode | (`ERR_${string}` & {});
