import type { GuardOptions, ResourceMetadataOptions } from '@resource-guard/core';

/** Options of `mcpAuth()` on every adapter: the guard options, with the audience fixed to `resource`. */
export interface McpAuthOptions extends Omit<GuardOptions, 'audience' | 'resourceMetadata' | 'challengeScope'> {
  /**
   * The MCP server's canonical URI (e.g. `https://mcp.example.com/mcp`): the only accepted
   * token audience (RFC 8707; the MCP spec requires it) and the `resource` of the metadata.
   */
  resource: string;
  /**
   * The other metadata members (`scopesSupported`, `resourceName`, `signingKey`, ...). Default
   * none. `scopesSupported` must not list `offline_access` (refresh tokens are not a resource
   * requirement: MCP 2026-07-28, "Refresh Tokens").
   */
  resourceMetadata?: Omit<ResourceMetadataOptions, 'resource'>;
  /**
   * The scopes needed to use the server at all, named in `scope` of every 401 challenge (MCP
   * "Scope Selection Strategy"; RFC 6750 §3). Default `resourceMetadata.scopesSupported`, else
   * none. Never `offline_access`.
   */
  scopes?: string[];
  /**
   * Origins whose browser pages may call the server (`Origin` header, exact match); a request
   * with another `Origin` gets 403 (DNS-rebinding defence, MCP Streamable HTTP). Requests without
   * `Origin` pass. Default: the origin of `resource` only.
   */
  allowedOrigins?: string[];
}

/** Default `dpop.proofMaxAge` and `dpop.clockTolerance` under MCP: `iat` within ±5 minutes (SEP-1932). */
export const MCP_DPOP_WINDOW = Object.freeze({ proofMaxAge: 1, clockTolerance: 299 });

/** `options` split into the guard's options and the MCP settings; validated (`TypeError` naming the option). */
export function resolveMcpOptions(options: McpAuthOptions): { guardOptions: GuardOptions; resource: string; allowedOrigins: string[] | undefined } {
  if (typeof options !== 'object' || options === null) throw new TypeError('resource-guard: mcpAuth() needs options ({ issuer, resource, ... })');
  const { resource, resourceMetadata, scopes, allowedOrigins, ...rest } = options;
  if (typeof resource !== 'string' || resource.length === 0) throw new TypeError('resource-guard: "resource" must be the MCP server\'s canonical URI');
  if ('audience' in rest) throw new TypeError('resource-guard: mcpAuth() takes "resource" instead of "audience"');
  if ('challengeScope' in rest) throw new TypeError('resource-guard: mcpAuth() takes "scopes" instead of "challengeScope"');
  for (const [name, list] of [['resourceMetadata.scopesSupported', resourceMetadata?.scopesSupported], ['scopes', scopes]] as const) {
    if (Array.isArray(list) && list.includes('offline_access')) {
      throw new TypeError(`resource-guard: "${name}" must not list offline_access (a refresh-token matter of the authorization server, not a resource scope)`);
    }
  }
  const challengeScope = scopes ?? resourceMetadata?.scopesSupported;
  // `dpop: true` and an absent `dpop` both mean the default settings, with the MCP window.
  const dpop = rest.dpop === false ? false : { ...MCP_DPOP_WINDOW, ...(rest.dpop === true ? {} : rest.dpop) };
  return {
    guardOptions: {
      ...rest,
      dpop,
      audience: resource,
      resourceMetadata: { ...resourceMetadata, resource },
      ...(challengeScope === undefined ? {} : { challengeScope }),
    },
    resource,
    allowedOrigins,
  };
}
