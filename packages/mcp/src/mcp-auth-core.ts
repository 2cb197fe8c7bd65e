import { createGuard, type AuthContext, type Guard } from '@resource-guard/core';
import { createResourceMetadataEndpoint, type ResourceMetadataEndpoint } from '@resource-guard/core/adapter';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { resolveMcpOptions, type McpAuthOptions } from './options.js';
import { createOriginCheck, type OriginCheck } from './origin.js';
import { createTokenVerifier, toAuthInfo } from './token-verifier.js';

/**
 * What every adapter's `mcpAuth()` builds on: one guard with the MCP defaults and the
 * framework-neutral checks. The adapters only translate requests and responses.
 */
export interface McpAuthCore {
  readonly guard: Guard;
  readonly resource: string;
  readonly metadataEndpoint: ResourceMetadataEndpoint;
  readonly checkOrigin: OriginCheck;
  readonly verifier: OAuthTokenVerifier;
  /** The members every adapter's `mcpAuth()` result has as they are. */
  readonly common: { readonly guard: Guard; readonly resourceMetadataUrl: string; readonly verifier: OAuthTokenVerifier };
  /** The SDK's `AuthInfo` for a verified context (what tools get as `extra.authInfo`). */
  authInfo(auth: AuthContext): AuthInfo;
}

/** Validates `options` once and builds the shared pieces. */
export function createMcpAuthCore(options: McpAuthOptions): McpAuthCore {
  const { guardOptions, resource, allowedOrigins } = resolveMcpOptions(options);
  const guard = createGuard(guardOptions);
  const metadataEndpoint = createResourceMetadataEndpoint(guard);
  const verifier = createTokenVerifier(guard, resource);
  return {
    guard,
    resource,
    metadataEndpoint,
    checkOrigin: createOriginCheck(allowedOrigins, resource),
    verifier,
    common: { guard, resourceMetadataUrl: metadataEndpoint.url, verifier },
    authInfo: (auth) => toAuthInfo(auth, resource),
  };
}
