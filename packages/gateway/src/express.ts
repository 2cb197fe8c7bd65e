/**
 * `@resource-guard/gateway/express` — the gateway patterns as Express (4.21, 5) middleware,
 * placed before a proxy (http-proxy-middleware) or before `protect()` in the same app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { forwardRequest, hasCors, type CredentialExchange } from './forward.js';
import { createRejectionRenderer, type GatewayMiddlewareOptions } from './respond.js';

export type { GatewayMiddlewareOptions } from './respond.js';
export { oauthAgent } from './agent/express.js';
export type { OAuthAgentMiddleware } from './agent/express.js';

/** An Express (or Connect) middleware. */
export type GatewayMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Middleware that exchanges the client's credential with `exchange` (`createPhantomToken()`,
 * `createSplitToken()`, `createTokenHandler()`) and rewrites the request's headers: the client's
 * credential removed, `Authorization: Bearer <jwt>` set; then `next()`. A rejection is answered
 * here (status, challenge, JSON body) and the request goes no further. CORS preflights pass.
 */
export function gateway(exchange: CredentialExchange, options: GatewayMiddlewareOptions = {}): GatewayMiddleware {
  if (typeof exchange?.exchange !== 'function' || typeof exchange.strip !== 'function') {
    throw new TypeError('resource-guard: gateway() needs a credential exchange (createPhantomToken(), createSplitToken(), createTokenHandler())');
  }
  const reject = createRejectionRenderer(options);
  return function gatewayMiddleware(req, res, next) {
    const request = { method: req.method ?? 'GET', headers: req.headers, rawHeaders: req.rawHeaders };
    // The token handler answers CORS for its trusted origins itself (preflights included).
    if (hasCors(exchange)) {
      let cors;
      try {
        cors = exchange.cors(request);
      } catch (error) {
        const { status, headers, body } = reject(error);
        res.writeHead(status, headers).end(body);
        return;
      }
      for (const [name, value] of Object.entries(cors.headers)) res.setHeader(name, value);
      if (cors.preflight) {
        res.writeHead(204).end();
        return;
      }
    }
    forwardRequest(exchange, request).then(() => next(), (error: unknown) => {
      const { status, headers, body } = reject(error);
      if (!res.headersSent) res.writeHead(status, headers).end(body);
    });
  };
}
