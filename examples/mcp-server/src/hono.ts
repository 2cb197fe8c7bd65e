/** The MCP server on Hono (any fetch runtime), with the SDK's Web-standard transport. */
import type http from 'node:http';
import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { mcpAuth, type McpAuthOptions } from '@resource-guard/mcp/fetch';
import { TOOL_SCOPES, createMcpServer } from './tools.js';

/** `parseBody`: read the JSON body too (per-tool scopes then also check it against the headers). */
export function honoListener(options: McpAuthOptions, parseBody: boolean): { listener: http.RequestListener; metadataUrl: string } {
  const auth = mcpAuth(options);
  const handle = auth.protect(async (request, _auth, authInfo) => {
    const server = createMcpServer();
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    return transport.handleRequest(request, { authInfo });
  }, { toolScopes: TOOL_SCOPES, readBody: parseBody });
  const app = new Hono();
  app.get('/.well-known/*', async (c) => (await auth.metadata(c.req.raw)) ?? c.notFound());
  app.post('/mcp', (c) => handle(c.req.raw));
  app.all('/mcp', (c) => auth.validateOrigin(c.req.raw) ?? auth.methodNotAllowed());
  return { listener: getRequestListener(app.fetch), metadataUrl: auth.resourceMetadataUrl };
}
