/**
 * @resource-guard/core/adapter — the kit for framework adapters (`@resource-guard/express`,
 * `@resource-guard/koa`, ...): argument handling of `protect()`, the Node request view, the route
 * requirement factories and the request-URL checks. Applications use `@resource-guard/core` or an
 * adapter package instead; nothing here imports a framework.
 */
export {
  GUARD_KEY, NodeRequestView, authorizeRequirement, createRequirementMiddlewares, readPeerCertificate, resolveProtectArguments,
} from './adapter-support.js';
export type { ProtectOptions, ProtectSettings, RequirementMiddlewares } from './adapter-support.js';
export { buildRequestUrl, checkHost, checkTarget } from '../http/request-url.js';
export { quoteParam } from '../http/challenge.js';
export type { AuthenticateOptions, AuthenticateResult, Guard } from '../guard-types.js';
export { isGuard } from '../guard-brand.js';
export { runGuard } from './run-guard.js';
export type { GuardHandover, RunGuardOptions } from './run-guard.js';
export { readAuthContext } from './auth-context-access.js';
export { createErrorResponder } from './error-response.js';
export type { ErrorResponse, ErrorResponseBody, ErrorResponseLogger, ErrorResponseOptions } from './error-response.js';
export { createResourceMetadataEndpoint } from '../metadata/metadata-endpoint.js';
export type { MetadataResponse, ResourceMetadataEndpoint } from '../metadata/metadata-endpoint.js';
// Seams for the gateway package (`@resource-guard/gateway`), which reads tokens, renders challenges,
// introspects (RFC 7662, RFC 9701) and validates its options by the guard's own rules: bearer
// reading, challenges, the introspection client with its cache, bounded fetches, form encoding,
// and the option checks whose `TypeError`s name the option.
export { fetchUpstream } from '../http/upstream.js';
// Bounded reading of a fetch `Request` body (the fetch adapter, HTTP message signatures).
export { readBoundedBody } from '../http/read-body.js';
export type { UpstreamRequest, UpstreamResponse } from '../http/upstream.js';
// The telemetry seam: `fetchUpstream()` callers (token exchange, the gateway) may pass the guard's.
export type {
  AuthenticationObservation, AuthenticationOutcome, Instruments as TelemetryInstruments, Telemetry, UpstreamObservation,
} from '../telemetry/telemetry.js';
export type { UpstreamOperation } from '../telemetry/names.js';
export { formEncode } from '../introspection/client-auth.js';
export { attachBearerChallenge, readBearerToken } from './bearer.js';
export { createIntrospectionClient } from './introspection-client.js';
export type { IntrospectionClient, IntrospectionClientOptions } from './introspection-client.js';
export type { MaybePromise } from '../lib/maybe-promise.js';
// The token handler's cookies: compact JWEs under a shared key (`dir`, `A256GCM`), on the crypto backend.
export { openDirectJwe, sealDirectJwe } from '../jwe/direct-jwe.js';
export type { DirectJweResult } from '../jwe/direct-jwe.js';
export { assertKnownKeys, assertNonEmptyString, assertObject, parseServerUrl, readNumber, toStringList } from '../options/validate.js';
// For packages that take a `Store` option (the HTTP signatures' replay guard): one check of the contract.
export { isStore } from '../store/memory-store.js';
