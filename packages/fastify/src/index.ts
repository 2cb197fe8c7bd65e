/**
 * @resource-guard/fastify — Fastify 5 plugin. Translates the request into a `GuardRequest`, sets
 * `request.auth`, and hands rejections to Fastify's error handling: the default error handler
 * replies with their `status` and `headers` (`WWW-Authenticate`, ...) as they are, and an app's
 * own `setErrorHandler` sees them first.
 */
import type { AuthContext } from '@resource-guard/core';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the plugin or `protect()`: who called, with what token. `null` when no credentials were verified. */
    auth: AuthContext | null;
  }
}

export { protect, requireScopes, requireAnyScope, requireClaims, requireAuthentication, requireThat } from './hooks.js';
export type { GuardHook } from './hooks.js';
export { resourceGuard, resourceGuard as default } from './plugin.js';
export type { ResourceGuardPluginOptions } from './plugin.js';
export { protectedResourceMetadata } from './metadata.js';
export { createGuard, exposedAuthHeaders } from '@resource-guard/core';
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
