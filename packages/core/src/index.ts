/**
 * @resource-guard/core — framework-neutral OAuth 2.0 resource-server verification.
 * This file is the public surface and nothing else.
 */
export { createGuard } from './guard.js';
export type { Guard, AuthenticateResult, AuthenticateOptions } from './guard.js';
export type { GuardRequest, GuardRequestHeaders } from './request.js';
export type { AuthContext } from './context.js';
export {
  DEFAULT_ALGORITHMS, DEFAULT_REQUIRED_CLAIMS, SUPPORTED_ALGORITHMS,
} from './options.js';
export type {
  GuardOptions, IntrospectionOptions, DpopOptions, MtlsOptions, TokenLocation, Logger,
} from './options.js';
export {
  GuardError, MissingCredentialsError, InvalidRequestError, InvalidTokenError, InsufficientScopeError,
  InvalidDpopProofError, UseDpopNonceError, InsufficientUserAuthenticationError, UpstreamUnavailableError,
  MisconfigurationError, isGuardError,
} from './errors.js';
export type { ChallengeError, GuardErrorOptions } from './errors.js';
export {
  requireScopes, requireAnyScope, requireClaims, requireAuthentication,
} from './scopes.js';
export type { Requirement, ClaimCondition, RequireAuthenticationOptions } from './scopes.js';
export { createMemoryStore } from './store.js';
export type { Store, MemoryStoreOptions } from './store.js';
export { certificateThumbprint } from './mtls.js';
export { DEFAULT_DPOP_ALGORITHMS, accessTokenHash, jwkThumbprint } from './dpop.js';
export { quoteParam } from './challenge.js';
export {
  resolveProtectArguments, readPeerCertificate, createRequirementMiddlewares, NodeRequestView, GUARD_KEY, authorizeRequirement,
} from './adapter-support.js';
export { buildRequestUrl, checkHost, checkTarget } from './request-url.js';
export type { ProtectOptions, ProtectSettings, RequirementMiddlewares } from './adapter-support.js';
