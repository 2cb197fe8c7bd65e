import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { createErrorResponder, type ErrorResponseOptions } from '@resource-guard/core/adapter';

/** Options of {@link errorHandler}: the body `format` and the `logger`. */
export type ErrorHandlerOptions = ErrorResponseOptions;

/**
 * Error middleware (register it after your routes) that answers guard rejections as JSON:
 * `{ "error", "error_description" }` (RFC 6749 §5.2 members; `format: 'problem'` for RFC 9457),
 * with the status and the challenge headers (`WWW-Authenticate`, `DPoP-Nonce`, `Retry-After`,
 * RFC 6750 §3). 5xx rejections are logged once, at `logger.error` (default `console`); 4xx only
 * at `logger.debug` of a logger you pass, never with the default. Every other error, and any
 * error after the response has started, goes on to `next(err)`: the application's errors stay
 * the application's.
 */
export function errorHandler(options?: ErrorHandlerOptions): ErrorRequestHandler {
  const render = createErrorResponder(options);
  return function guardErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
    const response = res.headersSent ? undefined : render(error);
    if (response === undefined) {
      next(error);
      return;
    }
    res.statusCode = response.status;
    for (const name of Object.keys(response.headers)) res.setHeader(name, response.headers[name]!);
    res.end(response.body);
  };
}
