// What every adapter entry point of @resource-guard/mcp exports besides its own mcpAuth().
export { createTokenVerifier, toAuthInfo } from './token-verifier.js';
export { McpProtocolError, JSON_RPC_ERRORS } from './protocol-error.js';
export { MCP_DPOP_WINDOW } from './options.js';
export type { McpAuthOptions } from './options.js';
export type { ToolScopes } from './tool-scopes.js';
export { isGuardError, GuardError, InsufficientScopeError, MisconfigurationError } from '@resource-guard/core';
export type { AuthContext, Guard, ScopeHierarchyOption } from '@resource-guard/core';
