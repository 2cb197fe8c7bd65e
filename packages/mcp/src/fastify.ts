/** @resource-guard/mcp/fastify — an MCP server's authorization on Fastify 5: the names of `@resource-guard/mcp/express`. */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { MisconfigurationError, type Guard } from '@resource-guard/core';
import { GUARD_KEY } from '@resource-guard/core/adapter';
import { protect, protectedResourceMetadata, type GuardHook } from '@resource-guard/fastify';
import { createMcpAuthCore } from './mcp-auth-core.js';
import type { McpAuthOptions } from './options.js';
import { McpProtocolError, renderMethodNotAllowed, renderProtocolError } from './protocol-error.js';
import { createToolScopeAuthorizer, type ToolScopes } from './tool-scopes.js';

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

function send(reply: FastifyReply, answer: { status: number; headers: Record<string, string>; body: string }): void {
  void reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** See {@link McpAuth.requireToolScopes}; validated now. */
export function requireToolScopes(toolScopes: ToolScopes): GuardHook {
  const authorize = createToolScopeAuthorizer(toolScopes);
  return function requireToolScopesHook(request, reply, done): void {
    try {
      // Before parsing (onRequest) Fastify's body is undefined: the headers decide.
      authorize({ headers: request.headers, body: request.body }, request.auth ?? undefined, (request as { [GUARD_KEY]?: Guard })[GUARD_KEY]);
    } catch (error) {
      // Replying in a hook ends the request: Fastify wants no done() then.
      if (error instanceof McpProtocolError) send(reply, renderProtocolError(error));
      else done(error as Error);
      return;
    }
    done();
  };
}

/** One guard for an MCP server on Fastify, with the MCP defaults (see `@resource-guard/mcp/express`). */
export function mcpAuth(options: McpAuthOptions): McpAuth {
  const core = createMcpAuthCore(options);
  const guardProtect = protect(core.guard);
  const validateOrigin: GuardHook = function validateOrigin(request, reply, done: HookHandlerDoneFunction) {
    const refused = core.checkOrigin(request.headers.origin);
    if (refused === undefined) done();
    else send(reply, renderProtocolError(refused));
  };
  return {
    ...core.common,
    metadata: protectedResourceMetadata(core.guard),
    validateOrigin,
    protect: function protectMcp(request, reply, done) {
      validateOrigin(request, reply, () => guardProtect(request, reply, done));
    },
    requireToolScopes,
    methodNotAllowed(_request, reply) {
      send(reply, renderMethodNotAllowed());
    },
    authInfo(request) {
      if (request.auth === null) {
        throw new MisconfigurationError('authInfo() used where protect() did not set a context', 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER');
      }
      return core.authInfo(request.auth);
    },
  };
}

export * from './shared.js';
