import { createErrorResponder, type ErrorResponse, type ErrorResponseOptions } from '@resource-guard/core/adapter';

/** Options of the Express and Koa `gateway()` middleware. */
export interface GatewayMiddlewareOptions {
  /** How rejections are rendered and logged (the adapters' `errorHandler()` options). */
  errors?: ErrorResponseOptions;
}

/**
 * The rendering of a rejection for the gateway middleware: the guard's JSON error response, or,
 * for anything that is not a `GuardError` (a bug, a store throwing something odd), a plain 500 —
 * never the error's message, and no exception escapes the middleware.
 */
export function createRejectionRenderer(options: GatewayMiddlewareOptions = {}): (error: unknown) => ErrorResponse {
  const render = createErrorResponder(options.errors);
  const logger = options.errors?.logger ?? console;
  return (error) => {
    const response = render(error);
    if (response !== undefined) return response;
    logger.error(`resource-guard: gateway exchange failed: ${error instanceof Error ? error.name : typeof error}`);
    return { status: 500, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: '{"error_description":"The gateway could not exchange the credentials"}' };
  };
}
