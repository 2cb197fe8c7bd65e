/** @resource-guard/mcp/fastify — an MCP server's authorization on Fastify 5: the names of `@resource-guard/mcp/express`. */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { MisconfigurationError, type Guard } from '@resource-guard/core';
import { GUARD_KEY } from '@resource-guard/core/adapter';
import { protect, protectedResourceMetadata, type GuardHook } from '@resource-guard/fastify';
import { buildMcpAuth, gateToolScopes, type McpAnswer, type McpHandover } from './mcp-auth-builder.js';
import type { McpAuthOptions } from './options.js';
import type { ToolScopes } from './tool-scopes.js';

/** What `mcpAuth()` returns on Fastify; see `@resource-guard/mcp/express` for each member. */
export interface McpAuth {
  readonly guard: Guard;
  readonly resourceMetadataUrl: string;
  /** Registers the RFC 9728 routes: `fastify.register(auth.metadata)`. */
  readonly metadata: FastifyPluginCallback;
  /** `onRequest` hook: `Origin` check (403, JSON-RPC error), then the token; sets `request.auth`. */
  readonly protect: GuardHook;
  /** The `Origin` check alone. */
  readonly validateOrigin: GuardHook;
  /**
   * Per-tool scopes: as an `onRequest` hook (after `protect`) it decides from `Mcp-Method`/`Mcp-Name`
   * only; as a `preHandler` hook, from the parsed body, and headers that differ are a 400 -32020.
   */
  requireToolScopes(toolScopes: ToolScopes): GuardHook;
  /** Route handler answering 405 with `Allow: POST`. */
  methodNotAllowed(request: FastifyRequest, reply: FastifyReply): void;
  /** For the SDK's `requireBearerAuth`; no sender-constrained tokens. */
  readonly verifier: OAuthTokenVerifier;
  /** The SDK's `AuthInfo` for `request.auth`: set it as `request.raw.auth` before `transport.handleRequest(request.raw, ...)`. */
  authInfo(request: FastifyRequest): AuthInfo;
}

function send(reply: FastifyReply, answer: McpAnswer): void {
  void reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** Fastify's hand-over: a check is a hook that replies or calls `done()`; errors go to `done(error)`. */
const HANDOVER: McpHandover<FastifyRequest, GuardHook, McpAuth['methodNotAllowed'], FastifyPluginCallback> = {
  protect,
  metadata: protectedResourceMetadata,
  gate: (decide) => function mcpCheck(request, reply, done: HookHandlerDoneFunction): void {
    let answer: McpAnswer | undefined;
    try {
      // Before parsing (onRequest) Fastify's body is undefined: the headers decide.
      answer = decide(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    // Replying in a hook ends the request: Fastify wants no done() then.
    if (answer === undefined) done();
    else send(reply, answer);
  },
  chain: (first, second) => function mcpChain(request, reply, done) {
    first(request, reply, () => second(request, reply, done));
  },
  answer: (render) => function mcpAnswer(_request, reply) {
    send(reply, render());
  },
  originOf: (request) => request.headers.origin,
  toolScopeRequestOf: (request) => ({
    headers: request.headers,
    body: request.body,
    auth: request.auth ?? undefined,
    guard: (request as { [GUARD_KEY]?: Guard })[GUARD_KEY],
  }),
  authOf(request) {
    if (request.auth === null) {
      throw new MisconfigurationError('authInfo() used where protect() did not set a context', 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER');
    }
    return request.auth;
  },
};

/** See {@link McpAuth.requireToolScopes}; validated now. */
export function requireToolScopes(toolScopes: ToolScopes): GuardHook {
  return gateToolScopes(HANDOVER, toolScopes);
}

/** One guard for an MCP server on Fastify, with the MCP defaults (see `@resource-guard/mcp/express`). */
export function mcpAuth(options: McpAuthOptions): McpAuth {
  return buildMcpAuth(options, HANDOVER);
}

export * from './shared.js';
