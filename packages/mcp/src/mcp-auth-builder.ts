import type { AuthContext, Guard } from '@resource-guard/core';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createMcpAuthCore, type McpAuthCore } from './mcp-auth-core.js';
import type { McpAuthOptions } from './options.js';
import { McpProtocolError, renderMethodNotAllowed, renderProtocolError } from './protocol-error.js';
import { createToolScopeAuthorizer, type McpRequestParts, type ToolScopes } from './tool-scopes.js';

/**
 * The members of every middleware adapter's `mcpAuth()` (Express, Koa, Fastify), built once
 * here: `protect` is the `Origin` check then the guard, `requireToolScopes` a check of a
 * verified request, `methodNotAllowed` the 405. An adapter only hands over how its framework
 * runs a check and writes an answer ({@link McpHandover}); the fetch entry point, whose members
 * are functions of a `Request`, shares the decisions ({@link decideOrigin}, {@link decideToolScopes}).
 */

/** A rendered answer, written as it is: status, headers, a JSON body. */
export interface McpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What per-tool scopes are decided from: the request's parts (see `tool-scopes.ts`) and what `protect` left on it. */
export interface ToolScopeRequest extends McpRequestParts {
  /** The context `protect` set; anything else (none) is the missing-`protect()` 500 of the check. */
  auth: unknown;
  /** The guard `protect` left on the request, for its scope hierarchy. */
  guard: Guard | undefined;
}

/** How one framework runs a check and answers: what an adapter file supplies. */
export interface McpHandover<Req, Handler, Terminal, Metadata> {
  /** The framework adapter's `protect(guard)`. */
  protect(guard: Guard): Handler;
  /** The framework adapter's `protectedResourceMetadata(guard)`. */
  metadata(guard: Guard): Metadata;
  /**
   * A handler that writes the answer `decide` returns, or goes on when it returns `undefined`; an
   * error `decide` throws takes the framework's error path (`next(error)`, a rejection, `done(error)`).
   */
  gate(decide: (request: Req) => McpAnswer | undefined): Handler;
  /** `first`, then `second` when `first` went on. */
  chain(first: Handler, second: Handler): Handler;
  /** A route handler that always writes the answer `render` returns. */
  answer(render: () => McpAnswer): Terminal;
  /** The request's `Origin` header. */
  originOf(request: Req): string | string[] | undefined;
  /** See {@link ToolScopeRequest}. */
  toolScopeRequestOf(request: Req): ToolScopeRequest;
  /** The verified context `protect` set (the adapter's own error when there is none). */
  authOf(request: Req): AuthContext;
}

/** What {@link buildMcpAuth} returns: the members each adapter's `McpAuth` interface documents. */
export interface McpAuthMembers<Req, Handler, Terminal, Metadata> {
  readonly guard: Guard;
  readonly resourceMetadataUrl: string;
  readonly verifier: OAuthTokenVerifier;
  readonly metadata: Metadata;
  readonly protect: Handler;
  readonly validateOrigin: Handler;
  requireToolScopes(toolScopes: ToolScopes): Handler;
  readonly methodNotAllowed: Terminal;
  authInfo(request: Req): AuthInfo;
}

/** The 403 answer for a foreign `Origin`, `undefined` when the request may go on. */
export function decideOrigin(core: Pick<McpAuthCore, 'checkOrigin'>, origin: string | string[] | undefined): McpAnswer | undefined {
  const refused = core.checkOrigin(origin);
  return refused === undefined ? undefined : renderProtocolError(refused);
}

/**
 * A check of per-tool scopes (validated now): the JSON-RPC answer of a transport rule it breaks
 * (400 -32020), `undefined` when the request may go on; the guard's own rejections (403
 * `insufficient_scope`, a missing context) are thrown, for the framework's error path.
 */
export function decideToolScopes(toolScopes: ToolScopes): (request: ToolScopeRequest) => McpAnswer | undefined {
  const authorize = createToolScopeAuthorizer(toolScopes);
  return function decideToolScopesOf({ auth, guard, ...request }) {
    try {
      authorize(request, auth, guard);
      return undefined;
    } catch (error) {
      if (error instanceof McpProtocolError) return renderProtocolError(error);
      throw error;
    }
  };
}

const named = <T extends object>(value: T, name: string): T => Object.defineProperty(value, 'name', { value: name });

/** `requireToolScopes(toolScopes)` of an adapter: works after any `protect()` of that framework. */
export function gateToolScopes<Req, Handler>(
  handover: Pick<McpHandover<Req, Handler, unknown, unknown>, 'gate' | 'toolScopeRequestOf'>,
  toolScopes: ToolScopes,
): Handler {
  const decide = decideToolScopes(toolScopes);
  return named(handover.gate((request) => decide(handover.toolScopeRequestOf(request))) as Handler & object, 'requireToolScopes') as Handler;
}

/**
 * One guard for an MCP server with the MCP defaults (options validated now, a `TypeError`
 * naming the bad one) and the members around it, in the framework `handover` speaks for.
 */
export function buildMcpAuth<Req, Handler, Terminal, Metadata>(
  options: McpAuthOptions,
  handover: McpHandover<Req, Handler, Terminal, Metadata>,
): McpAuthMembers<Req, Handler, Terminal, Metadata> {
  const core = createMcpAuthCore(options);
  const validateOrigin = named(handover.gate((request) => decideOrigin(core, handover.originOf(request))) as Handler & object, 'validateOrigin') as Handler;
  return {
    ...core.common,
    metadata: handover.metadata(core.guard),
    validateOrigin,
    protect: named(handover.chain(validateOrigin, handover.protect(core.guard)) as Handler & object, 'protectMcp') as Handler,
    requireToolScopes: (toolScopes) => gateToolScopes(handover, toolScopes),
    methodNotAllowed: named(handover.answer(renderMethodNotAllowed) as Terminal & object, 'methodNotAllowed') as Terminal,
    authInfo: (request) => core.authInfo(handover.authOf(request)),
  };
}
