import type { FastifyReply, FastifyRequest } from 'fastify';
import { createErrorResponder, type ErrorResponseOptions } from '@resource-guard/core/adapter';

/** Options of {@link errorHandler}: the body `format` and the `logger`, as on Express and Koa. */
export type ErrorHandlerOptions = ErrorResponseOptions;

/** A Fastify error handler, for `app.setErrorHandler()`. */
export type GuardErrorHandler = (this: unknown, error: unknown, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * A Fastify error handler that answers guard rejections with the body every adapter sends
 * (`{ "error", "error_description" }`, `error` only when the challenge has one; `format:
 * 'problem'` for RFC 9457), with the status and the challenge headers (`WWW-Authenticate`,
 * `DPoP-Nonce`, `Retry-After`, RFC 6750 §3). 5xx rejections are logged once, at `logger.error`
 * (default `console`). Every other error goes on to the error handler that was in place before
 * (Fastify's own): the application's errors stay the application's. The `resourceGuard` plugin
 * renders rejections the same way without it (its `errors` option); use it with `errors: false`,
 * or with `protect()` on routes of a scope without the plugin: `app.setErrorHandler(errorHandler())`,
 * or call it from your own error handler.
 */
export function errorHandler(options?: ErrorHandlerOptions): GuardErrorHandler {
  const render = createErrorResponder(options);
  return function guardErrorHandler(error, _request, reply) {
    const response = reply.sent ? undefined : render(error);
    // Sent again from an error handler, an error goes to the parent scope's handler (Fastify's own).
    if (response === undefined) return reply.send(error);
    return reply.code(response.status).headers(response.headers).send(response.body);
  };
}
