/**
 * How the hooks answer a rejection: with the renderer the `resourceGuard` plugin left on the
 * Fastify instance (the body every adapter sends), or, without one, through Fastify's error
 * handling (`done(error)`). The plugin decorates the instance rather than setting an error handler,
 * so that an application's own `setErrorHandler` in the same scope replaces nothing of ours.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ErrorResponse } from '@resource-guard/core/adapter';

export { createErrorResponder } from '@resource-guard/core/adapter';

/** The instance decoration that holds the plugin's renderer. */
export const RENDERER: unique symbol = Symbol.for('resource-guard.fastify.renderer');

type Renderer = (error: unknown) => ErrorResponse | undefined;

/** Answers `error` with the plugin's renderer, or hands it to Fastify's error handling. */
export function rejectRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, error: unknown): void {
  // `server` is always there under Fastify; a hook called by hand (a test, a wrapper) may lack it.
  const render = (request.server as unknown as { [RENDERER]?: Renderer } | undefined)?.[RENDERER];
  const response = render === undefined || reply.sent ? undefined : render(error);
  if (response === undefined) {
    done(error as Error);
    return;
  }
  void reply.code(response.status).headers(response.headers).send(response.body);
}
