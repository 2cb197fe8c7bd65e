import type { Context, Middleware, Next } from 'koa';
import { createErrorResponder, type ErrorResponseOptions } from '@resource-guard/core/adapter';

/** Options of {@link errorHandler}: the body `format` and the `logger`. */
export type ErrorHandlerOptions = ErrorResponseOptions;

/**
 * Middleware (register it first) that answers guard rejections from everything after it as
 * JSON: `{ "error", "error_description" }` (RFC 6749 §5.2 members; `format: 'problem'` for
 * RFC 9457), with the status and the challenge headers (`WWW-Authenticate`, `DPoP-Nonce`,
 * `Retry-After`, RFC 6750 §3). 5xx rejections are logged once, at `logger.error` (default
 * `console`); 4xx only at `logger.debug` of a logger you pass, never with the default. Every
 * other error, and any error after the headers were sent, is rethrown to the application and
 * Koa's `ctx.onerror`.
 */
export function errorHandler(options?: ErrorHandlerOptions): Middleware {
  const render = createErrorResponder(options);
  return async function guardErrorHandler(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (error) {
      const response = ctx.headerSent ? undefined : render(error);
      if (response === undefined) throw error;
      ctx.status = response.status;
      ctx.set(response.headers);
      ctx.body = response.body;
    }
  };
}
