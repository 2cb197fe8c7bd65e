/** The MCP server on Express. */
import type http from 'node:http';
import express from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { errorHandler, mcpAuth, type McpAuthOptions } from '@resource-guard/mcp/express';
import { TOOL_SCOPES, createMcpServer } from './tools.js';

/** `parseBody`: mount `express.json()` (per-tool scopes then also check the body against the headers). */
export function expressListener(options: McpAuthOptions, parseBody: boolean): { listener: http.RequestListener; metadataUrl: string } {
  const auth = mcpAuth(options);
  const app = express();
  app.use(auth.metadata);
  const parse: express.RequestHandler[] = parseBody ? [express.json()] : [];
  app.post('/mcp', auth.protect, ...parse, auth.requireToolScopes(TOOL_SCOPES), async (req, res, next) => {
    const server = createMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(Object.assign(req, { auth: auth.authInfo(req) }), res, req.body);
    } catch (error) {
      next(error);
    }
  });
  app.all('/mcp', auth.validateOrigin, auth.methodNotAllowed);
  app.use(errorHandler());
  return { listener: app, metadataUrl: auth.resourceMetadataUrl };
}
