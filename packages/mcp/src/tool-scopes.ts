import { requireScopes, type Guard, type Requirement } from '@resource-guard/core';
import { authorizeRequirement } from '@resource-guard/core/adapter';
import { JSON_RPC_ERRORS, McpProtocolError } from './protocol-error.js';
import { assertHeadersMatch, readRequestMetadata, type JsonRpcMessage } from './request-metadata.js';

/**
 * Per-tool scopes, framework-neutral: which scopes a request needs, decided from the MCP request
 * metadata headers (no body parser needed) or, when the body was parsed, from the body, after
 * checking that the two agree.
 */

/** Tool name → the scope(s) a `tools/call` of it needs (all of them). */
export type ToolScopes = Readonly<Record<string, string | readonly string[]>>;

/** What {@link ToolScopeCheck} reads of a request. */
export interface McpRequestParts {
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed body; `undefined` when no body parser ran (or it skipped this request). */
  body: unknown;
}

/**
 * Returns the requirement the request must meet (`undefined`: a valid token suffices). Throws an
 * {@link McpProtocolError} (400) for a request that cannot be judged: headers that do not match
 * the parsed body, a body that is not a JSON-RPC message, or an unread JSON body without
 * `Mcp-Method`. Never a 500: no request is the server's misconfiguration here.
 */
export type ToolScopeCheck = (request: McpRequestParts) => Requirement | undefined;

const isObject = (value: unknown): value is JsonRpcMessage => typeof value === 'object' && value !== null && !Array.isArray(value);

function hasBody(headers: McpRequestParts['headers']): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (typeof length === 'string' && length !== '0');
}

function isJsonType(headers: McpRequestParts['headers']): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type.trim());
}

/** Validates `toolScopes` now (a `TypeError` naming the bad entry) and returns the per-request check. */
export function createToolScopeCheck(toolScopes: ToolScopes): ToolScopeCheck {
  if (typeof toolScopes !== 'object' || toolScopes === null || Array.isArray(toolScopes)) {
    throw new TypeError('resource-guard: requireToolScopes() needs an object: tool name → scope(s)');
  }
  const scopesOf = new Map<string, readonly string[]>();
  const single = new Map<string, Requirement>();
  for (const [tool, scopes] of Object.entries(toolScopes)) {
    const requirement = requireScopes(scopes);
    single.set(tool, requirement);
    scopesOf.set(tool, ([] as string[]).concat(scopes as string | string[]).flatMap((scope) => scope.split(' ')).filter((scope) => scope !== ''));
  }
  // Every scope of every listed tool the request calls, in one requirement: one challenge names
  // them all (MCP 2026-07-28), and the guard's scopeHierarchy narrows it.
  const requirementFor = (tools: readonly string[]): Requirement | undefined => {
    const listed = [...new Set(tools)].filter((tool) => single.has(tool));
    if (listed.length <= 1) return listed.length === 0 ? undefined : single.get(listed[0]!);
    return requireScopes(listed.flatMap((tool) => scopesOf.get(tool)!));
  };

  return function checkToolScopes({ headers, body }) {
    const metadata = readRequestMetadata(headers);
    if (body === undefined) {
      if (metadata.method !== undefined) return requirementFor(metadata.method === 'tools/call' ? [metadata.name!] : []);
      if (!hasBody(headers)) return undefined;
      // Unread, a JSON body could be any call: without the headers (clients of revisions before
      // 2026-07-28 send none) nothing here can tell. A required header is missing (a 400 -32020,
      // as the transport answers it), never a pass; mount a JSON body parser to serve such clients.
      if (isJsonType(headers)) {
        throw new McpProtocolError('Header mismatch: Mcp-Method header missing (this endpoint reads no body)', 'ERR_MCP_HEADER_MISMATCH', 400, JSON_RPC_ERRORS.headerMismatch);
      }
      throw new McpProtocolError('Parse error: the body is not JSON', 'ERR_MCP_BODY_UNREADABLE', 400, JSON_RPC_ERRORS.parseError);
    }
    // Batches (revisions up to 2025-03-26) carry no headers that could describe them.
    const messages: unknown[] = Array.isArray(body) ? body : [body];
    if (messages.length === 0 || !messages.every(isObject)) {
      throw new McpProtocolError('Invalid Request: the body is not a JSON-RPC message', 'ERR_MCP_BODY_UNREADABLE', 400, JSON_RPC_ERRORS.invalidRequest);
    }
    if (Array.isArray(body) && metadata.method !== undefined) {
      throw new McpProtocolError('Header mismatch: Mcp-Method header on a batch', 'ERR_MCP_HEADER_MISMATCH', 400, JSON_RPC_ERRORS.headerMismatch);
    }
    const tools: string[] = [];
    for (const message of messages as JsonRpcMessage[]) {
      assertHeadersMatch(metadata, message);
      if (message.method === 'tools/call' && typeof message.params?.name === 'string') tools.push(message.params.name);
    }
    return requirementFor(tools);
  };
}

/** Throws the rejection (`McpProtocolError`, 403 `insufficient_scope`, 500 without `protect()` before); returns when the request may go on. */
export type ToolScopeAuthorizer = (request: McpRequestParts, auth: unknown, stashed: Guard | undefined) => void;

// A requirement that always holds: run through authorizeRequirement() so that a missing
// protect() is the same 500 on requests that call no listed tool.
const PASS: Requirement = { check: () => undefined };

/** {@link createToolScopeCheck}, judged by the guard that verified `auth` (its `scopeHierarchy` included). */
export function createToolScopeAuthorizer(toolScopes: ToolScopes): ToolScopeAuthorizer {
  const check = createToolScopeCheck(toolScopes);
  return function authorizeToolScopes(request, auth, stashed) {
    authorizeRequirement(auth, stashed, check(request) ?? PASS);
  };
}
