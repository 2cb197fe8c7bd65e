/**
 * @resource-guard/gateway — the API-gateway halves of three patterns: the phantom token
 * ({@link createPhantomToken}), the split token ({@link createSplitToken}, and
 * {@link storeSplitToken} for the authorization server) and the token handler's API side
 * ({@link createTokenHandler}) with its OAuth agent ({@link createOAuthAgent}). Framework-neutral; the middleware is in `./express` and `./koa`.
 */
export { forwardRequest, isPreflight } from './forward.js';
export type { CredentialExchange, GatewayHeaders, GatewayRequest } from './forward.js';
export { createPhantomToken, maxAgeOf } from './phantom-token.js';
export type { PhantomTokenAccept, PhantomTokenOptions } from './phantom-token.js';
export { SPLIT_TOKEN_PREFIX, createSplitToken, revokeSplitToken, splitTokenKey, storeSplitToken } from './split-token.js';
export type { SplitTokenOptions, SplitTokenStoreOptions } from './split-token.js';
export { createTokenHandler, encryptTokenCookie, serializeTokenCookie } from './token-handler.js';
export type { TokenCookieKey, TokenHandlerOptions, TokenHandlerProxy } from './token-handler.js';
export type { CorsAnswer } from './browser-defence.js';
export { createOAuthAgent } from './agent/oauth-agent.js';
export type { AgentRequest, AgentResponse, OAuthAgent } from './agent/oauth-agent.js';
export type { OAuthAgentOptions } from './agent/options.js';
export { GATEWAY_ERROR_CODES } from './error-codes.js';
export type { GatewayErrorCode } from './error-codes.js';
