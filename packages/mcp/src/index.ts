/**
 * @resource-guard/mcp — resource-guard for MCP servers on Express (Model Context Protocol
 * authorization, 2025-06-18 and 2025-11-25): the server is an OAuth 2.0 resource server whose
 * tokens must name its canonical URI as audience (RFC 8707), that publishes RFC 9728 metadata,
 * answers 401 with `resource_metadata` and 403 `insufficient_scope` when a tool needs more.
 * It plugs into the SDK's own seams: `req.auth` (what the streamable HTTP transport hands to
 * tools as `extra.authInfo`) and `OAuthTokenVerifier` (for the SDK's `requireBearerAuth`).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import {
  InsufficientScopeError as SdkInsufficientScopeError, InvalidTokenError as SdkInvalidTokenError, ServerError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import {
  MisconfigurationError, createGuard, isGuardError, requireScopes,
  type AuthContext, type Guard, type GuardOptions, type Requirement, type ResourceMetadataOptions,
} from '@resource-guard/core';
import { GUARD_KEY, authorizeRequirement, createResourceMetadataEndpoint } from '@resource-guard/core/adapter';
import { protect, protectedResourceMetadata } from '@resource-guard/express';

/** Options of {@link mcpAuth}: the guard options, with the audience fixed to `resource`. */
export interface McpAuthOptions extends Omit<GuardOptions, 'audience' | 'resourceMetadata'> {
  /**
   * The MCP server's canonical URI (e.g. `https://mcp.example.com/mcp`): the only accepted
   * token audience (RFC 8707; the MCP spec requires it) and the `resource` of the metadata.
   */
  resource: string;
  /** The other metadata members (`scopesSupported`, `resourceName`, `signingKey`, ...). Default none. */
  resourceMetadata?: Omit<ResourceMetadataOptions, 'resource'>;
}

/** What {@link mcpAuth} returns: one guard and the middleware around it. */
export interface McpAuth {
  /** The guard: audience = `resource`, metadata configured. */
  readonly guard: Guard;
  /** The RFC 9728 metadata URL, as named in every challenge. */
  readonly resourceMetadataUrl: string;
  /** Serves the metadata document (mount at the application's root, before {@link protect}). */
  readonly metadata: RequestHandler;
  /**
   * Verifies the access token (JWT, introspection, DPoP, mTLS) and sets `req.auth`; the SDK's
   * transport passes it to tools as `extra.authInfo` (`token`, `clientId`, `scopes`,
   * `expiresAt` in seconds, plus the rest of the resource-guard context).
   */
  readonly protect: RequestHandler;
  /**
   * Per-tool scopes: a `tools/call` (alone or in a batch) for a listed tool needs all its
   * scopes, else 403 `insufficient_scope` with `scope` and `resource_metadata`. Unlisted
   * tools and other methods need only a valid token. Runs after `express.json()` and `protect`.
   */
  requireToolScopes(toolScopes: Readonly<Record<string, string | readonly string[]>>): RequestHandler;
  /** The SDK seam, for `requireBearerAuth({ verifier })`: see {@link createTokenVerifier}. */
  readonly verifier: OAuthTokenVerifier;
}

/**
 * One guard for an MCP server, with the MCP defaults: audience exactly `resource` (no other
 * audience is accepted), RFC 9728 metadata naming the trusted issuers, `resource_metadata` in
 * every challenge. Options validated now (a `TypeError` naming the bad one).
 */
export function mcpAuth(options: McpAuthOptions): McpAuth {
  if (typeof options !== 'object' || options === null) throw new TypeError('resource-guard: mcpAuth() needs options ({ issuer, resource, ... })');
  const { resource, resourceMetadata, ...guardOptions } = options;
  if (typeof resource !== 'string' || resource.length === 0) throw new TypeError('resource-guard: "resource" must be the MCP server\'s canonical URI');
  if ('audience' in guardOptions) throw new TypeError('resource-guard: mcpAuth() takes "resource" instead of "audience"');
  const guard = createGuard({ ...guardOptions, audience: resource, resourceMetadata: { ...resourceMetadata, resource } });
  return {
    guard,
    resourceMetadataUrl: createResourceMetadataEndpoint(guard).url,
    metadata: protectedResourceMetadata(guard),
    protect: protect(guard),
    requireToolScopes,
    verifier: createTokenVerifier(guard, resource),
  };
}

type Message = { method?: unknown; params?: { name?: unknown } } | null | undefined;

/** See {@link McpAuth.requireToolScopes}; the scopes are validated now. */
export function requireToolScopes(toolScopes: Readonly<Record<string, string | readonly string[]>>): RequestHandler {
  if (typeof toolScopes !== 'object' || toolScopes === null || Array.isArray(toolScopes)) {
    throw new TypeError('resource-guard: requireToolScopes() needs an object: tool name → scope(s)');
  }
  const requirements = new Map<string, Requirement>(Object.entries(toolScopes).map(([tool, scopes]) => [tool, requireScopes(scopes)]));
  return function requireToolScopesMiddleware(req: Request, _res: Response, next: NextFunction): void {
    try {
      const body: unknown = req.body;
      if (body === undefined) {
        throw new MisconfigurationError('requireToolScopes() needs express.json() before it', 'ERR_MISCONFIGURED_BODY_PARSER');
      }
      for (const message of (Array.isArray(body) ? body : [body]) as Message[]) {
        const name = message?.method === 'tools/call' ? message.params?.name : undefined;
        const requirement = typeof name === 'string' ? requirements.get(name) : undefined;
        if (requirement !== undefined) authorizeRequirement(req.auth, (req as { [GUARD_KEY]?: Guard })[GUARD_KEY], requirement);
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** The SDK's `AuthInfo` for a verified context; `token` non-enumerable, as in the context. */
export function toAuthInfo(auth: AuthContext, resource: string): AuthInfo {
  const info: AuthInfo = {
    token: '',
    clientId: auth.clientId ?? '',
    scopes: [...auth.scopes],
    expiresAt: auth.expiresAt,
    resource: new URL(resource),
    extra: { subject: auth.subject, issuer: auth.issuer, scheme: auth.scheme, format: auth.format, claims: auth.claims },
  };
  Object.defineProperty(info, 'token', { value: auth.token, enumerable: false });
  return info;
}

/**
 * resource-guard behind the SDK's `OAuthTokenVerifier`, for `requireBearerAuth({ verifier })`:
 * JWTs and introspected tokens, every check of the guard (audience included). The SDK hands
 * over only the token, so DPoP- and certificate-bound tokens are refused here (use
 * {@link McpAuth.protect} for them). Rejections become the SDK's errors: 400/401 →
 * `InvalidTokenError`, 403 → `InsufficientScopeError`, anything else → `ServerError` (500).
 */
export function createTokenVerifier(guard: Guard, resource: string): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      try {
        const auth = await guard.verify({ method: 'POST', url: resource, headers: { authorization: `Bearer ${token}` } });
        return toAuthInfo(auth, resource);
      } catch (error) {
        if (!isGuardError(error)) throw new ServerError('Token verification failed');
        if (error.status === 400 || error.status === 401) throw new SdkInvalidTokenError(error.message);
        if (error.status === 403) throw new SdkInsufficientScopeError(error.message);
        throw new ServerError(error.message);
      }
    },
  };
}
