import { JSON_RPC_ERRORS, McpProtocolError } from './protocol-error.js';

/**
 * `Origin` validation against DNS rebinding (MCP Streamable HTTP, "Security & Endpoint"): a
 * browser page on another origin that resolves the server's host name to a local address sends
 * its own `Origin`, which is refused with 403. Requests without `Origin` (non-browser clients)
 * pass: they are not what DNS rebinding abuses. Hosts are not checked here (bind local servers to
 * 127.0.0.1, and put `Host` checks in the framework when needed).
 */

/** Checks the `Origin` of a request: the 403 {@link McpProtocolError} to answer, or `undefined`. */
export type OriginCheck = (origin: string | string[] | undefined) => McpProtocolError | undefined;

function serialize(origin: string): string {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    // reported below
  }
  if (url === undefined || url.origin === 'null' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || origin.endsWith('/')) {
    throw new TypeError(`resource-guard: "allowedOrigins" must list origins (scheme://host[:port], no path), not ${JSON.stringify(origin.slice(0, 80))}`);
  }
  return url.origin;
}

/**
 * Validates `allowedOrigins` now (a `TypeError` naming the bad entry); the check compares the
 * `Origin` header exactly (RFC 6454 §6.2 serialisation) with the list, which defaults to the
 * origin of `resource` (the server's own pages).
 */
export function createOriginCheck(allowedOrigins: readonly string[] | undefined, resource: string): OriginCheck {
  if (allowedOrigins !== undefined && (!Array.isArray(allowedOrigins) || !allowedOrigins.every((origin) => typeof origin === 'string'))) {
    throw new TypeError('resource-guard: "allowedOrigins" must be an array of origins');
  }
  const allowed = new Set((allowedOrigins ?? [new URL(resource).origin]).map(serialize));
  return function checkOrigin(origin) {
    if (origin === undefined || (typeof origin === 'string' && allowed.has(origin))) return undefined;
    return new McpProtocolError('Forbidden: the request\'s Origin is not allowed', 'ERR_MCP_ORIGIN_NOT_ALLOWED', 403, JSON_RPC_ERRORS.forbidden);
  };
}
