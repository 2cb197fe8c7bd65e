/** @resource-guard/mcp/koa — an MCP server's authorization on Koa: the names of `@resource-guard/mcp/express`. */
import type { Context, Middleware, Next } from 'koa';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Guard } from '@resource-guard/core';
import { GUARD_KEY } from '@resource-guard/core/adapter';
import { getAuth, protect, protectedResourceMetadata } from '@resource-guard/koa';
import { buildMcpAuth, gateToolScopes, type McpAnswer, type McpHandover } from './mcp-auth-builder.js';
import type { McpAuthOptions } from './options.js';
import type { ToolScopes } from './tool-scopes.js';

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

// Koa sets its own content type for a string body; the JSON-RPC answer keeps ours.
function send(ctx: Context, answer: McpAnswer): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
  ctx.type = 'application/json';
}

/** Koa's hand-over: a check is middleware that answers or awaits `next()`; errors reject. */
const HANDOVER: McpHandover<Context, Middleware, Middleware, Middleware> = {
  protect,
  metadata: protectedResourceMetadata,
  gate: (decide) => async function mcpCheck(ctx: Context, next: Next): Promise<void> {
    const answer = decide(ctx);
    if (answer === undefined) await next();
    else send(ctx, answer);
  },
  chain: (first, second) => function mcpChain(ctx, next) {
    return first(ctx, () => second(ctx, next));
  },
  answer: (render) => function mcpAnswer(ctx) {
    send(ctx, render());
  },
  originOf: (ctx) => ctx.headers.origin,
  toolScopeRequestOf: (ctx) => ({
    headers: ctx.headers,
    body: (ctx.request as { body?: unknown }).body,
    auth: ctx.state.auth,
    guard: (ctx.state as Record<symbol, Guard | undefined>)[GUARD_KEY],
  }),
  authOf: getAuth,
};

/** See {@link McpAuth.requireToolScopes}; validated now. */
export function requireToolScopes(toolScopes: ToolScopes): Middleware {
  return gateToolScopes(HANDOVER, toolScopes);
}

/** One guard for an MCP server on Koa, with the MCP defaults (see `@resource-guard/mcp/express`). */
export function mcpAuth(options: McpAuthOptions): McpAuth {
  return buildMcpAuth(options, HANDOVER);
}

export { errorHandler } from '@resource-guard/koa';
export type { ErrorHandlerOptions } from '@resource-guard/koa';
export * from './shared.js';
