/** The MCP server on Koa. */
import type http from 'node:http';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { errorHandler, mcpAuth, type McpAuthOptions } from '@resource-guard/mcp/koa';
import { TOOL_SCOPES, createMcpServer } from './tools.js';

/** `parseBody`: mount `@koa/bodyparser` (per-tool scopes then also check the body against the headers). */
export function koaListener(options: McpAuthOptions, parseBody: boolean): { listener: http.RequestListener; metadataUrl: string } {
  const auth = mcpAuth(options);
  const app = new Koa();
  const requireToolScopes = auth.requireToolScopes(TOOL_SCOPES);
  const parse = bodyParser({ enableTypes: ['json'] });
  app.use(errorHandler());
  app.use(auth.metadata);
  app.use(async (ctx, next) => {
    if (ctx.path !== '/mcp') return next();
    if (ctx.method !== 'POST') return auth.validateOrigin(ctx, () => auth.methodNotAllowed(ctx, next));
    return auth.protect(ctx, async () => {
      if (parseBody) await parse(ctx, async () => {});
      await requireToolScopes(ctx, async () => {
        const server = createMcpServer();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        ctx.respond = false; // the SDK writes the response itself
        ctx.res.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        const parsed = (ctx.request as { body?: unknown }).body;
        await transport.handleRequest(Object.assign(ctx.req, { auth: auth.authInfo(ctx) }), ctx.res, parsed);
      });
    });
  });
  return { listener: app.callback(), metadataUrl: auth.resourceMetadataUrl };
}
