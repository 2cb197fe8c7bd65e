/**
 * @resource-guard/core — framework-neutral OAuth 2.0 resource-server verification.
 * This file is the public surface for applications and nothing else; the kit for framework
 * adapters is the `@resource-guard/core/adapter` entry point.
 */
export { createGuard } from './guard.js';
export type { Guard, AuthenticateResult, AuthenticateOptions } from './guard-types.js';
export type { GuardRequest, GuardRequestHeaders } from './http/request.js';
export type { AuthContext } from './pipeline/context.js';
export {
  DEFAULT_ALGORITHMS, DEFAULT_REQUIRED_CLAIMS, SUPPORTED_ALGORITHMS,
} from './options/guard-options.js';
export type {
  GuardOptions, IntrospectionOptions, DpopOptions, MtlsOptions, TokenLocation, Logger, ProfileName, TelemetryOptions, TenantFilter, PrincipalFilter,
} from './options/guard-options.js';
export type { FapiOptions, FapiVersion } from './fapi/options.js';
export type { BearerTokenGrantOptions, BearerTokenProvider, ClientAuthMethod, PrivateKeyJwtOptions } from './introspection/client-auth.js';
export type { PrivateKeyInput } from './jws/signing-key.js';
export type { JsonWebKey, PlatformKey } from './crypto/key-types.js';
export type { TokenFormatName } from './pipeline/formats.js';
export {
  GuardError, MissingCredentialsError, InvalidRequestError, InvalidTokenError, InsufficientScopeError,
  InvalidDpopProofError, UseDpopNonceError, InsufficientUserAuthenticationError, UpstreamUnavailableError,
  MisconfigurationError, TokenExchangeRefusedError, isGuardError,
} from './errors/errors.js';
export type { ChallengeError, GuardErrorOptions } from './errors/errors.js';
export { ERROR_CODE_CLASSES, GUARD_ERROR_CODES } from './errors/codes.js';
export type { ErrorCode, ErrorCodeOf, GuardErrorClassName, GuardErrorCode } from './errors/codes.js';
export {
  requireScopes, requireAnyScope, requireClaims, requireAuthentication,
} from './requirements/requirements.js';
export type { Requirement, RequirementContext, RequirementKind, ClaimCondition, RequireAuthenticationOptions } from './requirements/requirements.js';
export { requireAuthorizationDetails } from './requirements/authorization-details.js';
export type { RequireAuthorizationDetailsOptions } from './requirements/authorization-details.js';
export { AUTHORIZATION_DETAILS_MAX } from './claims/authorization-details.js';
export type { AuthorizationDetail } from './claims/authorization-details.js';
export type { ScopeHierarchy, ScopeHierarchyOption, ScopeSet } from './requirements/scope-hierarchy.js';
export type { ClaimValidator } from './pipeline/validators.js';
export { createMemoryStore } from './store/memory-store.js';
export type { AddCountedResult, Store, MemoryStoreOptions } from './store/memory-store.js';
export { certificateThumbprint } from './mtls/certificate-binding.js';
export type { CertificateSource } from './mtls/options.js';
export { DEFAULT_DPOP_ALGORITHMS, accessTokenHash, jwkThumbprint } from './dpop/verifier.js';
export type { Claims } from './claims/claims.js';
export { buildProtectedResourceMetadata } from './metadata/metadata-endpoint.js';
export type { ProtectedResourceMetadata } from './metadata/resource-metadata.js';
export type { ResourceMetadataOptions, MetadataSigningKey } from './metadata/options.js';
export { AUTH_RESPONSE_HEADERS, exposedAuthHeaders } from './http/cors.js';
export { JWE_CONTENT_ALGORITHMS, JWE_KEY_ALGORITHMS } from './jwe/jwe-format.js';
export type { DecryptionKey, EncryptedTokenOptions } from './jwe/jwe-format.js';
export { CRYPTO_BACKEND } from './crypto/selected-backend.js';
export { ATTRIBUTES as TELEMETRY_ATTRIBUTES, CHANNEL_NAMES as TELEMETRY_CHANNELS, METRIC_NAMES as TELEMETRY_METRICS, SPAN_NAMES as TELEMETRY_SPANS } from './telemetry/names.js';
export type {
  CacheName, CacheResult, DpopRejectionReason, JwksRefetchResult, StoreOperation, StorePurpose, UpstreamOperation, UpstreamOutcome,
} from './telemetry/names.js';
export type {
  TelemetryAttributes, TelemetryContext, TelemetryContextManager, TelemetryCounter, TelemetryHistogram, TelemetryInstrumentOptions,
  TelemetryMeter, TelemetryMeterProvider, TelemetrySpan, TelemetryTracer, TelemetryTracerProvider,
} from './telemetry/otel-types.js';
