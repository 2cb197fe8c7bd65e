import { JSON_RPC_ERRORS, McpProtocolError } from './protocol-error.js';

/**
 * The MCP 2026-07-28 request metadata headers (Streamable HTTP, "Request Metadata"): `Mcp-Method`
 * mirrors the JSON-RPC `method`, `Mcp-Name` the `params.name` (`tools/call`, `prompts/get`) or
 * `params.uri` (`resources/read`), Base64-wrapped as `=?base64?…?=` when not plain ASCII.
 */

/** Methods whose `Mcp-Name` is required, and the `params` member it mirrors. */
const NAMED_METHODS: Readonly<Record<string, 'name' | 'uri'>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
// RFC 9110 §5.5 field value: visible ASCII, space and tab; the name rules of MCP need no more.
const FIELD_VALUE = /^[\x20-\x7e\t]*$/;
// RFC 9110 §5.6.2 token: what a JSON-RPC method name must be to travel in a header unencoded.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z/]+$/;

/** What {@link readRequestMetadata} found: absent headers are `undefined`. */
export interface RequestMetadata {
  method: string | undefined;
  name: string | undefined;
}

function mismatch(message: string, id?: string | number): McpProtocolError {
  return new McpProtocolError(`Header mismatch: ${message}`, 'ERR_MCP_HEADER_MISMATCH', 400, JSON_RPC_ERRORS.headerMismatch, id);
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw mismatch(`more than one ${name} header`);
    return value[0];
  }
  return value;
}

/** Decodes `Mcp-Name` (the Base64 sentinel form included); a malformed value is a 400 -32020. */
export function decodeMcpName(value: string): string {
  // Clients Base64-encode any value of the sentinel's shape: one that is not valid Base64 is malformed.
  if (value.startsWith('=?base64?') && value.endsWith('?=')) {
    const encoded = SENTINEL.exec(value)?.[1];
    if (encoded === undefined || encoded.length % 4 !== 0) throw mismatch('Mcp-Name header is not valid Base64');
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0)));
    } catch {
      throw mismatch('Mcp-Name header is not Base64-encoded UTF-8');
    }
  }
  if (value.length === 0 || !FIELD_VALUE.test(value) || value.trim() !== value) throw mismatch('Mcp-Name header is malformed');
  return value;
}

/**
 * Reads `Mcp-Method` and `Mcp-Name` from lower-cased request headers. Malformed values (two
 * fields, bad Base64, control characters) and `Mcp-Name` without `Mcp-Method`, or missing on a
 * method that needs it, are a 400 with JSON-RPC error -32020, as the transport requires.
 */
export function readRequestMetadata(headers: Readonly<Record<string, string | string[] | undefined>>): RequestMetadata {
  const method = single(headers['mcp-method'], 'Mcp-Method');
  const rawName = single(headers['mcp-name'], 'Mcp-Name');
  if (method !== undefined && !TOKEN.test(method)) throw mismatch('Mcp-Method header is malformed');
  const name = rawName === undefined ? undefined : decodeMcpName(rawName);
  if (name !== undefined && method === undefined) throw mismatch('Mcp-Name header without Mcp-Method');
  if (method !== undefined && NAMED_METHODS[method] !== undefined && name === undefined) throw mismatch(`Mcp-Name header missing for ${method}`);
  return { method, name };
}

/** A JSON-RPC message as far as these checks read it. */
export interface JsonRpcMessage {
  id?: unknown;
  method?: unknown;
  params?: { name?: unknown; uri?: unknown } | null;
}

/** The `Mcp-Name` source value of `message`, or `undefined` for a method without one. */
export function nameOf(message: JsonRpcMessage): unknown {
  const member = typeof message.method === 'string' ? NAMED_METHODS[message.method] : undefined;
  return member === undefined ? undefined : message.params?.[member];
}

/**
 * Checks that the headers match the parsed message (MCP 2026-07-28 "Server Validation": a server
 * that reads the body MUST): a difference in method or name is a 400 -32020, whatever the
 * message. Headers absent (clients of earlier revisions) are not compared.
 */
export function assertHeadersMatch(metadata: RequestMetadata, message: JsonRpcMessage): void {
  if (metadata.method === undefined) return;
  const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : undefined;
  if (message.method !== metadata.method) throw mismatch('Mcp-Method header does not match the body\'s method', id);
  const name = nameOf(message);
  if (name !== undefined && name !== metadata.name) throw mismatch('Mcp-Name header does not match the body', id);
}
