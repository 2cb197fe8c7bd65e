/**
 * @resource-guard/fastify — Fastify 5 plugin. Translates the request into a `GuardRequest`, sets
 * `request.auth`, and hands rejections to Fastify's error handling, where the plugin's
 * `errorHandler()` renders them with the body every adapter sends, their `status` and `headers`
 * (`WWW-Authenticate`, ...).
 */
import type { AuthContext } from '@resource-guard/core';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the plugin or `protect()`: who called, with what token. `null` when no credentials were verified. */
    auth: AuthContext | null;
  }
}

export { protect, requireScopes, requireAnyScope, requireClaims, requireAuthentication, requireAuthorizationDetails, requireThat } from './hooks.js';
export type { GuardHook } from './hooks.js';
export { resourceGuard, resourceGuard as default } from './plugin.js';
export type { ResourceGuardPluginOptions } from './plugin.js';
export { protectedResourceMetadata } from './metadata.js';
export { getAuth } from './get-auth.js';
export { errorHandler } from './error-handler.js';
export type { ErrorHandlerOptions, GuardErrorHandler } from './error-handler.js';
export { createGuard, exposedAuthHeaders, AUTH_RESPONSE_HEADERS } from '@resource-guard/core';
export { readPeerCertificate } from '@resource-guard/core/adapter';
export type { AuthContext, Guard, GuardOptions, Requirement } from '@resource-guard/core';
export type { ProtectOptions, ProtectSettings } from '@resource-guard/core/adapter';
// Re-exported so applications import only their adapter (strict layouts such as pnpm's do not
// let them import @resource-guard/core, which they never installed).
export {
  GuardError, MissingCredentialsError, InvalidRequestError, InvalidTokenError, InsufficientScopeError,
  InvalidDpopProofError, UseDpopNonceError, InsufficientUserAuthenticationError, UpstreamUnavailableError,
  MisconfigurationError, isGuardError, createMemoryStore,
} from '@resource-guard/core';
export type { ChallengeError, Claims, MemoryStoreOptions, Store } from '@resource-guard/core';
export type { ErrorResponseBody, ErrorResponseLogger } from '@resource-guard/core/adapter';
