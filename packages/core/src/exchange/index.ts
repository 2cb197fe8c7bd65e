/**
 * @resource-guard/core/exchange — calls to downstream APIs for the caller with exchanged tokens
 * (RFC 8693 token exchange), never the caller's own. See docs/token-exchange.md.
 */
export { createTokenExchange } from './token-exchange.js';
export type { ExchangeTokenOptions, ExchangeTokenResult, TokenExchange } from './token-exchange.js';
export type { TokenExchangeOptions } from './options.js';
export type { DpopProofInput } from './dpop-proof.js';
export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './request.js';
export { TokenExchangeRefusedError } from '../errors/errors.js';
