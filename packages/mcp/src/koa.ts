/** @resource-guard/mcp/koa — an MCP server's authorization on Koa: the names of `@resource-guard/mcp/express`. */
import type { Context, Middleware, Next } from 'koa';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Guard } from '@resource-guard/core';
import { GUARD_KEY } from '@resource-guard/core/adapter';
import { getAuth, protect, protectedResourceMetadata } from '@resource-guard/koa';
import { createMcpAuthCore } from './mcp-auth-core.js';
import type { McpAuthOptions } from './options.js';
import { McpProtocolError, renderMethodNotAllowed, renderProtocolError } from './protocol-error.js';
import { createToolScopeAuthorizer, type ToolScopes } from './tool-scopes.js';

/** What `mcpAuth()` returns on Koa; see `@resource-guard/mcp/express` for each member. */
export interface McpAuth {
  readonly guard: Guard;
  readonly resourceMetadataUrl: string;
  /** Serves the RFC 9728 document (mount first). */
  readonly metadata: Middleware;
  /** `Origin` check (403, JSON-RPC error), then the token; sets `ctx.state.auth`. Mount `errorHandler()` before it. */
  readonly protect: Middleware;
  /** The `Origin` check alone. */
  readonly validateOrigin: Middleware;
  /** Per-tool scopes from `Mcp-Method`/`Mcp-Name`, or from `ctx.request.body` when a body parser ran (mismatch → 400 -32020). */
  requireToolScopes(toolScopes: ToolScopes): Middleware;
  /** 405 with `Allow: POST`. */
  readonly methodNotAllowed: Middleware;
  /** For the SDK's `requireBearerAuth`; no sender-constrained tokens. */
  readonly verifier: OAuthTokenVerifier;
  /** The SDK's `AuthInfo` for `ctx.state.auth`: set it as `ctx.req.auth` before `transport.handleRequest(ctx.req, ...)`. */
  authInfo(ctx: Context): AuthInfo;
}

function send(ctx: Context, answer: { status: number; headers: Record<string, string>; body: string }): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
}

// Koa sets its own content type for a string body; the JSON-RPC answer keeps ours.
function sendJson(ctx: Context, answer: { status: number; headers: Record<string, string>; body: string }): void {
  send(ctx, answer);
  ctx.type = 'application/json';
}

/** See {@link McpAuth.requireToolScopes}; validated now. */
export function requireToolScopes(toolScopes: ToolScopes): Middleware {
  const authorize = createToolScopeAuthorizer(toolScopes);
  return async function requireToolScopesMiddleware(ctx: Context, next: Next): Promise<void> {
    try {
      const body = (ctx.request as { body?: unknown }).body;
      authorize({ headers: ctx.headers, body }, ctx.state.auth, (ctx.state as Record<symbol, Guard | undefined>)[GUARD_KEY]);
    } catch (error) {
      if (!(error instanceof McpProtocolError)) throw error;
      sendJson(ctx, renderProtocolError(error));
      return;
    }
    await next();
  };
}

/** One guard for an MCP server on Koa, with the MCP defaults (see `@resource-guard/mcp/express`). */
export function mcpAuth(options: McpAuthOptions): McpAuth {
  const core = createMcpAuthCore(options);
  const guardProtect = protect(core.guard);
  const validateOrigin: Middleware = async function validateOrigin(ctx, next) {
    const refused = core.checkOrigin(ctx.headers.origin);
    if (refused === undefined) await next();
    else sendJson(ctx, renderProtocolError(refused));
  };
  return {
    ...core.common,
    metadata: protectedResourceMetadata(core.guard),
    validateOrigin,
    protect: function protectMcp(ctx, next) {
      return validateOrigin(ctx, () => guardProtect(ctx, next));
    },
    requireToolScopes,
    methodNotAllowed: function methodNotAllowed(ctx) {
      sendJson(ctx, renderMethodNotAllowed());
    },
    authInfo: (ctx) => core.authInfo(getAuth(ctx)),
  };
}

export { errorHandler } from '@resource-guard/koa';
export type { ErrorHandlerOptions } from '@resource-guard/koa';
export * from './shared.js';
