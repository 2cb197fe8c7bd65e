/**
 * Every metric, span, attribute and channel name the guard emits (docs/observability.md lists
 * them with units). OpenTelemetry has no convention for authentication decisions yet: the names
 * follow ASP.NET Core's (`aspnetcore.authentication.authenticate.duration`) under
 * `resource_guard.`, and OpenTelemetry's general attributes (`error.type`, `server.address`).
 */

/** Instrument names (the Prometheus exporter turns dots into underscores and adds the unit). */
export const METRIC_NAMES = Object.freeze({
  authenticate: 'resource_guard.authentication.authenticate.duration',
  authorize: 'resource_guard.authorization.attempts',
  upstream: 'resource_guard.upstream.request.duration',
  cache: 'resource_guard.cache.lookups',
  jwksRefetch: 'resource_guard.jwks.refetches',
  dpopRejection: 'resource_guard.dpop.rejections',
  storeError: 'resource_guard.store.errors',
} as const);

/** `node:diagnostics_channel` names: one per metric, the same attributes as the message. */
export const CHANNEL_NAMES = Object.freeze({
  authenticate: 'resource-guard:authenticate',
  authorize: 'resource-guard:authorize',
  upstream: 'resource-guard:upstream',
  cache: 'resource-guard:cache',
  jwksRefetch: 'resource-guard:jwks-refetch',
  dpopRejection: 'resource-guard:dpop-rejection',
  storeError: 'resource-guard:store-error',
} as const);

/** Span names: one per authentication, one child per authorization-server call. */
export const SPAN_NAMES = Object.freeze({
  authenticate: 'resource-guard authenticate',
  /** Followed by the operation, e.g. `resource-guard jwks`. */
  upstreamPrefix: 'resource-guard ',
} as const);

/** Attribute names. Every value is one of a closed set, or a configured issuer or host. */
export const ATTRIBUTES = Object.freeze({
  result: 'resource_guard.authentication.result',
  scheme: 'resource_guard.authentication.scheme',
  format: 'resource_guard.token.format',
  issuer: 'resource_guard.issuer',
  errorType: 'error.type',
  authorizationResult: 'resource_guard.authorization.result',
  requirement: 'resource_guard.requirement.kind',
  operation: 'resource_guard.upstream.operation',
  outcome: 'resource_guard.upstream.outcome',
  statusClass: 'resource_guard.upstream.status_class',
  statusCode: 'http.response.status_code',
  method: 'http.request.method',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  cache: 'resource_guard.cache.name',
  cacheResult: 'resource_guard.cache.result',
  refetchResult: 'resource_guard.jwks.refetch.result',
  dpopReason: 'resource_guard.dpop.rejection.reason',
  storePurpose: 'resource_guard.store.purpose',
  storeOperation: 'resource_guard.store.operation',
} as const);

/** What an authorization-server call is for (`resource_guard.upstream.operation`). */
export type UpstreamOperation = 'discovery' | 'jwks' | 'introspection' | 'token_exchange' | 'phantom_token' | 'other';

/** How an authorization-server call ended (`resource_guard.upstream.outcome`). */
export type UpstreamOutcome = 'success' | 'http_error' | 'timeout' | 'network_error' | 'response_error';

/** A cache the guard consults (`resource_guard.cache.name`). */
export type CacheName = 'verified_token' | 'introspection';

/** A cache lookup's result: `join` is a miss that joined a call already under way (single flight). */
export type CacheResult = 'hit' | 'miss' | 'join';

/**
 * What an unknown `kid` led to: `fetched` the key set again, `joined` a refetch under way,
 * `cooldown` refused by `jwksCooldown`.
 */
export type JwksRefetchResult = 'fetched' | 'joined' | 'cooldown';

/** Why a DPoP request was refused or challenged (`resource_guard.dpop.rejection.reason`). */
export type DpopRejectionReason = 'replay' | 'use_nonce' | 'quota_exceeded';

/** Which part of the guard a failed store call served (`resource_guard.store.purpose`). */
export type StorePurpose = 'introspection_cache' | 'dpop_replay';

/** The `Store` method that failed (`resource_guard.store.operation`). */
export type StoreOperation = 'get' | 'set' | 'add' | 'increment' | 'add_counted' | 'delete';
