/**
 * @resource-guard/mcp/express — an MCP server's authorization on Express (4 and 5). Also the
 * package's root export, as before the other adapters existed.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Guard } from '@resource-guard/core';
import { GUARD_KEY } from '@resource-guard/core/adapter';
import { protect, protectedResourceMetadata } from '@resource-guard/express';
import { buildMcpAuth, gateToolScopes, type McpAnswer, type McpHandover } from './mcp-auth-builder.js';
import type { McpAuthOptions } from './options.js';
import type { ToolScopes } from './tool-scopes.js';

/** What `mcpAuth()` returns on Express: one guard and the middleware around it. */
export interface McpAuth {
  /** The guard: audience = `resource`, metadata configured. */
  readonly guard: Guard;
  /** The RFC 9728 metadata URL, as named in every challenge. */
  readonly resourceMetadataUrl: string;
  /** Serves the metadata document (mount at the application's root, before `protect`). */
  readonly metadata: RequestHandler;
  /**
   * Refuses a foreign `Origin` (403, JSON-RPC error), then verifies the access token (JWT,
   * introspection, DPoP, mTLS) and sets `req.auth`; the SDK's transport passes it to tools as
   * `extra.authInfo` (`token`, `clientId`, `scopes`, `expiresAt` in seconds, plus the rest of the
   * context). Rejections go to `next(error)`: mount `errorHandler()`.
   */
  readonly protect: RequestHandler;
  /** The `Origin` check of {@link McpAuth.protect} alone, for routes without a token (e.g. the 405). */
  readonly validateOrigin: RequestHandler;
  /**
   * Per-tool scopes: a `tools/call` for a listed tool needs all its scopes, else 403
   * `insufficient_scope` naming every scope the request needs, with `resource_metadata` (the
   * guard's `scopeHierarchy` applies). Decided from the `Mcp-Method`/`Mcp-Name` headers when no
   * body parser ran; when `express.json()` ran before it, from the body, and headers that do not
   * match the body are a 400 with JSON-RPC error -32020. Unlisted tools and other methods need a
   * valid token only. Runs after `protect`.
   */
  requireToolScopes(toolScopes: ToolScopes): RequestHandler;
  /** 405 with `Allow: POST` for GET, DELETE, ... on the endpoint (MCP 2026-07-28 serves POST only). */
  readonly methodNotAllowed: RequestHandler;
  /** The SDK seam, for `requireBearerAuth({ verifier })`: see `createTokenVerifier` (no sender-constrained tokens). */
  readonly verifier: OAuthTokenVerifier;
  /** The SDK's `AuthInfo` for `req.auth` (Express's `req.auth` already has its members). */
  authInfo(req: Request): AuthInfo;
}

function send(res: Response, answer: McpAnswer): void {
  res.status(answer.status).set(answer.headers).end(answer.body);
}

/** Express's hand-over: a check is middleware that answers or calls `next()`; errors go to `next(error)`. */
const HANDOVER: McpHandover<Request, RequestHandler, RequestHandler, RequestHandler> = {
  protect,
  metadata: protectedResourceMetadata,
  gate: (decide) => function mcpCheck(req, res, next) {
    let answer: McpAnswer | undefined;
    try {
      answer = decide(req);
    } catch (error) {
      next(error);
      return;
    }
    if (answer === undefined) next();
    else send(res, answer);
  },
  chain: (first, second) => function mcpChain(req, res, next) {
    first(req, res, () => second(req, res, next));
  },
  answer: (render) => function mcpAnswer(_req, res) {
    send(res, render());
  },
  originOf: (req) => req.headers.origin,
  toolScopeRequestOf: (req) => ({ headers: req.headers, body: req.body as unknown, auth: req.auth, guard: (req as { [GUARD_KEY]?: Guard })[GUARD_KEY] }),
  authOf: (req) => req.auth!,
};

/**
 * One guard for an MCP server on Express, with the MCP defaults: audience exactly `resource`,
 * RFC 9728 metadata naming the trusted issuers, `resource_metadata` (and `scope`, when known) in
 * every challenge, DPoP proofs within ±5 minutes (SEP-1932), `Origin` checked. Options validated
 * now (a `TypeError` naming the bad one).
 */
export function mcpAuth(options: McpAuthOptions): McpAuth {
  return buildMcpAuth(options, HANDOVER);
}

/** See {@link McpAuth.requireToolScopes}; the scopes are validated now. Works with any `protect()`. */
export function requireToolScopes(toolScopes: ToolScopes): RequestHandler {
  return gateToolScopes(HANDOVER, toolScopes);
}

export { errorHandler } from '@resource-guard/express';
export type { ErrorHandlerOptions } from '@resource-guard/express';
export * from './shared.js';
