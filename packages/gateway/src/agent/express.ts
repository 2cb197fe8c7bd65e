import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRejectionRenderer, type GatewayMiddlewareOptions } from '../respond.js';
import type { OAuthAgent } from './oauth-agent.js';
import { readAgentBody } from './read-body.js';
import { renderAgentResponse } from './render.js';

/** An Express (or Connect) middleware. */
export type OAuthAgentMiddleware = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The OAuth agent as Express (4.21, 5) middleware: mount it at a prefix
 * (`app.use('/oauth-agent', oauthAgent(createOAuthAgent(options)))`); it answers the agent's
 * routes below it and passes any other path to `next()`. Works with or without `express.json()`.
 */
export function oauthAgent(agent: OAuthAgent, options: GatewayMiddlewareOptions = {}): OAuthAgentMiddleware {
  if (typeof agent?.handle !== 'function') throw new TypeError('resource-guard: oauthAgent() needs createOAuthAgent()');
  const reject = createRejectionRenderer(options);
  return function oauthAgentMiddleware(req, res, next) {
    agent.handle({
      method: req.method ?? 'GET',
      headers: req.headers,
      path: (req.url ?? '/').split('?')[0]!,
      readBody: () => readAgentBody(req, req.body),
    }).then((response) => {
      if (response === undefined) return next();
      const { status, headers, body } = renderAgentResponse(response, reject);
      res.writeHead(status, { ...headers, 'set-cookie': response.cookies }).end(body);
    }, next);
  };
}
