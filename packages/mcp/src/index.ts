/**
 * @resource-guard/mcp — resource-guard for MCP servers (Model Context Protocol authorization,
 * 2025-06-18, 2025-11-25 and 2026-07-28): the server is an OAuth 2.0 resource server whose tokens
 * must name its canonical URI as audience (RFC 8707), that publishes RFC 9728 metadata, answers 401
 * with `resource_metadata` and `scope`, 403 `insufficient_scope` naming every scope a tool call
 * needs, refuses foreign `Origin`s and checks the request metadata headers. The root export is the
 * Express adapter (also `@resource-guard/mcp/express`); `/koa`, `/fastify` and `/fetch` have the
 * same names. It plugs into the SDK's own seams: `AuthInfo` (what tools get as `extra.authInfo`)
 * and `OAuthTokenVerifier` (for the SDK's `requireBearerAuth`).
 */
export * from './express.js';
