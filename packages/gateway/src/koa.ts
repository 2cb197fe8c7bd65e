/**
 * `@resource-guard/gateway/koa` — the gateway patterns as Koa (2.16, 3) middleware, placed before
 * a proxy (http-proxy-middleware) or before `protect()` in the same app.
 */
import type { IncomingMessage } from 'node:http';
import { forwardRequest, hasCors, type CredentialExchange } from './forward.js';
import { createRejectionRenderer, type GatewayMiddlewareOptions } from './respond.js';

export type { GatewayMiddlewareOptions } from './respond.js';
export { oauthAgent } from './agent/koa.js';
export type { OAuthAgentContext, OAuthAgentMiddleware } from './agent/koa.js';

/** The parts of Koa's context the middleware uses (structural: no dependency on Koa's types). */
export interface GatewayContext {
  req: IncomingMessage;
  status: number;
  body: unknown;
  set(headers: Record<string, string>): void;
}

/** A Koa middleware. */
export type GatewayMiddleware = (ctx: GatewayContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * Middleware that exchanges the client's credential with `exchange` and rewrites `ctx.req.headers`
 * (the client's credential removed, `Authorization: Bearer <jwt>` set), then `await next()`.
 * A rejection is answered here (status, challenge, JSON body); CORS preflights pass.
 */
export function gateway(exchange: CredentialExchange, options: GatewayMiddlewareOptions = {}): GatewayMiddleware {
  if (typeof exchange?.exchange !== 'function' || typeof exchange.strip !== 'function') {
    throw new TypeError('resource-guard: gateway() needs a credential exchange (createPhantomToken(), createSplitToken(), createTokenHandler())');
  }
  const reject = createRejectionRenderer(options);
  return async function gatewayMiddleware(ctx, next) {
    const request = { method: ctx.req.method ?? 'GET', headers: ctx.req.headers, rawHeaders: ctx.req.rawHeaders };
    try {
      // The token handler answers CORS for its trusted origins itself (preflights included).
      if (hasCors(exchange)) {
        const cors = exchange.cors(request);
        ctx.set(cors.headers);
        if (cors.preflight) {
          ctx.status = 204;
          return;
        }
      }
      await forwardRequest(exchange, request);
    } catch (error) {
      const { status, headers, body } = reject(error);
      ctx.status = status;
      ctx.set(headers);
      ctx.body = body;
      return;
    }
    await next();
  };
}
