import { GuardError, type GuardErrorCode } from '@resource-guard/core';

/**
 * Rejections of the MCP transport's own rules (Origin, request metadata headers, an unreadable
 * body), answered with a JSON-RPC error response rather than an OAuth one: the MCP client reads
 * them as protocol errors. They carry no `WWW-Authenticate`: no token would change the answer.
 */

/** JSON-RPC error codes used here (JSON-RPC 2.0 §5.1; -32020 is MCP 2026-07-28 `HeaderMismatch`). */
export const JSON_RPC_ERRORS = Object.freeze({
  parseError: -32700,
  invalidRequest: -32600,
  headerMismatch: -32020,
  /** Server-defined (JSON-RPC reserves -32000..-32099): the request's Origin is not allowed. */
  forbidden: -32000,
});

/** A transport-level rejection: `status`, a stable `code`, and the JSON-RPC error to send. */
export class McpProtocolError extends GuardError {
  /** The JSON-RPC `error.code`. */
  readonly jsonRpcCode: number;
  /** The JSON-RPC `id` of the request when it was read (never guessed). */
  readonly requestId: string | number | undefined;

  constructor(message: string, code: GuardErrorCode, status: number, jsonRpcCode: number, requestId?: string | number) {
    super(message, code, status, undefined);
    this.jsonRpcCode = jsonRpcCode;
    this.requestId = requestId;
  }
}

/** The HTTP answer of an {@link McpProtocolError}: `application/json`, a JSON-RPC error response. */
export function renderProtocolError(error: McpProtocolError): { status: number; headers: Record<string, string>; body: string } {
  const response = {
    jsonrpc: '2.0',
    ...(error.requestId === undefined ? {} : { id: error.requestId }),
    error: { code: error.jsonRpcCode, message: error.message },
  };
  return {
    status: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(response),
  };
}

/** The 405 for GET, DELETE and the other methods the endpoint does not serve (MCP 2026-07-28: POST only). */
export function renderMethodNotAllowed(): { status: number; headers: Record<string, string>; body: string } {
  return {
    status: 405,
    headers: { allow: 'POST', 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify({ jsonrpc: '2.0', error: { code: JSON_RPC_ERRORS.invalidRequest, message: 'Method not allowed: the MCP endpoint takes POST' } }),
  };
}
