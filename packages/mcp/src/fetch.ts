/**
 * @resource-guard/mcp/fetch — an MCP server's authorization for Web-standard `Request`/`Response`
 * runtimes (Hono, Next.js route handlers, Workers, Deno, Bun), with the SDK's
 * `WebStandardStreamableHTTPServerTransport`: the names of `@resource-guard/mcp/express`, as
 * functions of a request instead of middleware.
 */
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { AuthContext, Guard } from '@resource-guard/core';
import { protectedResourceMetadata, rejectionResponse, withAuth, type MetadataHandler } from '@resource-guard/fetch';
import { createMcpAuthCore } from './mcp-auth-core.js';
import type { McpAuthOptions } from './options.js';
import { decideOrigin, decideToolScopes, type McpAnswer } from './mcp-auth-builder.js';
import { JSON_RPC_ERRORS, McpProtocolError, renderMethodNotAllowed, renderProtocolError } from './protocol-error.js';
import type { ToolScopes } from './tool-scopes.js';

/** The application's MCP handler, called with the verified context and the SDK's `AuthInfo`. */
export type McpHandler = (request: Request, auth: AuthContext, authInfo: AuthInfo) => Response | Promise<Response>;

/** Settings of {@link McpAuth.protect}. */
export interface McpProtectSettings {
  /** Per-tool scopes (see `@resource-guard/mcp/express`'s `requireToolScopes`). Default none. */
  toolScopes?: ToolScopes;
  /**
   * Also read the JSON body (of a copy of the request) to decide per-tool scopes and check it
   * against `Mcp-Method`/`Mcp-Name` (mismatch → 400 -32020); a body that is not JSON → 400 -32700.
   * Default false: the headers decide, and the handler's transport reads the body.
   */
  readBody?: boolean;
}

/** What `mcpAuth()` returns for fetch runtimes. */
export interface McpAuth {
  readonly guard: Guard;
  readonly resourceMetadataUrl: string;
  /** The RFC 9728 document for its URLs, `undefined` for any other request. */
  readonly metadata: MetadataHandler;
  /**
   * A handler for the MCP endpoint: `Origin` check (403), the token, per-tool scopes, then
   * `handler`; every rejection is answered (JSON, with its challenge), never thrown.
   */
  protect(handler: McpHandler, settings?: McpProtectSettings): (request: Request) => Promise<Response>;
  /** The `Origin` check alone: the 403 answer, or `undefined` when the request may go on. */
  validateOrigin(request: Request): Response | undefined;
  /**
   * Per-tool scopes as a check of a verified request: the rejection (400 -32020, 403
   * `insufficient_scope`, ...) as a `Response`, or `undefined` when the request may go on.
   * `readBody` as in {@link McpProtectSettings}. What `protect(handler, { toolScopes })` runs.
   */
  requireToolScopes(toolScopes: ToolScopes, settings?: Pick<McpProtectSettings, 'readBody'>): (request: Request, auth: AuthContext) => Promise<Response | undefined>;
  /** 405 with `Allow: POST`. */
  methodNotAllowed(): Response;
  /** For the SDK's `requireBearerAuth`; no sender-constrained tokens. */
  readonly verifier: OAuthTokenVerifier;
  /** The SDK's `AuthInfo` for a verified context. */
  authInfo(auth: AuthContext): AuthInfo;
}

function toResponse(answer: McpAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.clone().text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new McpProtocolError('Parse error: the body is not JSON', 'ERR_MCP_BODY_UNREADABLE', 400, JSON_RPC_ERRORS.parseError);
  }
}

const headersOf = (request: Request): Record<string, string> => Object.fromEntries(request.headers);

/** One guard for an MCP server on fetch runtimes, with the MCP defaults (see `@resource-guard/mcp/express`). */
export function mcpAuth(options: McpAuthOptions): McpAuth {
  const core = createMcpAuthCore(options);
  const validateOrigin = (request: Request): Response | undefined => {
    const answer = decideOrigin(core, request.headers.get('origin') ?? undefined);
    return answer === undefined ? undefined : toResponse(answer);
  };
  const requireToolScopes: McpAuth['requireToolScopes'] = (toolScopes, settings = {}) => {
    const decide = decideToolScopes(toolScopes);
    const readBody = settings.readBody === true;
    return async function checkToolScopes(request, auth) {
      try {
        const body = readBody ? await readJson(request) : undefined;
        // A fetch Request always has a body stream: unread, only the headers may decide.
        const headers = readBody ? headersOf(request) : { ...headersOf(request), 'content-length': '0', 'transfer-encoding': undefined };
        const answer = decide({ headers, body, auth, guard: core.guard });
        return answer === undefined ? undefined : toResponse(answer);
      } catch (error) {
        return error instanceof McpProtocolError ? toResponse(renderProtocolError(error)) : rejectionResponse(error);
      }
    };
  };
  return {
    ...core.common,
    metadata: protectedResourceMetadata(core.guard),
    validateOrigin,
    protect(handler, settings = {}) {
      if (typeof handler !== 'function') throw new TypeError('resource-guard: protect() needs a handler function');
      const checkToolScopes = settings.toolScopes === undefined ? undefined : requireToolScopes(settings.toolScopes, settings);
      // The fetch adapter's withAuth(): the token, its rejections and the success headers.
      const authenticated = withAuth(core.guard, async (request: Request, auth: AuthContext) => (
        (await checkToolScopes?.(request, auth)) ?? handler(request, auth, core.authInfo(auth))
      ));
      return async function protectedMcpHandler(request) {
        return validateOrigin(request) ?? authenticated(request);
      };
    },
    requireToolScopes,
    methodNotAllowed: () => toResponse(renderMethodNotAllowed()),
    authInfo: core.authInfo,
  };
}

export * from './shared.js';
