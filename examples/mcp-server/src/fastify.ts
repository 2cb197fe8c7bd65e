/** The MCP server on Fastify. */
import type http from 'node:http';
import Fastify from 'fastify';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpAuth, type McpAuthOptions } from '@resource-guard/mcp/fastify';
import { TOOL_SCOPES, createMcpServer } from './tools.js';

/**
 * `parseBody`: per-tool scopes as a `preHandler` (after Fastify parsed the body, which is then
 * checked against the headers); otherwise an `onRequest` hook that reads the headers only.
 */
export async function fastifyListener(options: McpAuthOptions, parseBody: boolean): Promise<{ listener: http.RequestListener; metadataUrl: string }> {
  const auth = mcpAuth(options);
  let listener: http.RequestListener | undefined;
  const app = Fastify({
    serverFactory(handler) {
      listener = handler;
      return { on() {}, listen() {}, close: (done?: () => void) => done?.() } as unknown as http.Server;
    },
  });
  await app.register(auth.metadata);
  const requireToolScopes = auth.requireToolScopes(TOOL_SCOPES);
  app.post('/mcp', {
    onRequest: parseBody ? [auth.protect] : [auth.protect, requireToolScopes],
    preHandler: parseBody ? [requireToolScopes] : [],
  }, async (request, reply) => {
    const server = createMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    reply.hijack(); // the SDK writes the response itself
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(Object.assign(request.raw, { auth: auth.authInfo(request) }), reply.raw, request.body);
  });
  app.route({ method: ['GET', 'DELETE', 'PUT', 'PATCH'], url: '/mcp', onRequest: auth.validateOrigin, handler: auth.methodNotAllowed });
  await app.ready();
  return { listener: listener!, metadataUrl: auth.resourceMetadataUrl };
}
