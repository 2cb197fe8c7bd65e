import type { IncomingMessage } from 'node:http';
import { createRejectionRenderer, type GatewayMiddlewareOptions } from '../respond.js';
import type { OAuthAgent } from './oauth-agent.js';
import { readAgentBody } from './read-body.js';
import { renderAgentResponse } from './render.js';

/** The parts of Koa's context the agent middleware uses (structural: no dependency on Koa's types). */
export interface OAuthAgentContext {
  req: IncomingMessage;
  path: string;
  request: { body?: unknown };
  status: number;
  body: unknown;
  set(headers: Record<string, string | string[]>): void;
}

/** A Koa middleware. */
export type OAuthAgentMiddleware = (ctx: OAuthAgentContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * The OAuth agent as Koa (2.16, 3) middleware: it answers the agent's routes below `prefix`
 * (default `/oauth-agent`) and passes any other path to `next()`. Works with or without a body parser.
 */
export function oauthAgent(agent: OAuthAgent, options: GatewayMiddlewareOptions & { prefix?: string } = {}): OAuthAgentMiddleware {
  if (typeof agent?.handle !== 'function') throw new TypeError('resource-guard: oauthAgent() needs createOAuthAgent()');
  const prefix = options.prefix ?? '/oauth-agent';
  if (typeof prefix !== 'string' || !/^(\/[^/?#]+)*$/.test(prefix)) throw new TypeError('resource-guard: "prefix" must be a path such as /oauth-agent');
  const reject = createRejectionRenderer(options);
  return async function oauthAgentMiddleware(ctx, next) {
    const response = ctx.path.startsWith(`${prefix}/`)
      ? await agent.handle({
        method: ctx.req.method ?? 'GET',
        headers: ctx.req.headers,
        path: ctx.path.slice(prefix.length),
        readBody: () => readAgentBody(ctx.req, ctx.request.body),
      })
      : undefined;
    if (response === undefined) {
      await next();
      return;
    }
    const { status, headers, body } = renderAgentResponse(response, reject);
    ctx.status = status;
    ctx.set({ ...headers, 'set-cookie': response.cookies });
    ctx.body = body === '' ? null : body;
  };
}
