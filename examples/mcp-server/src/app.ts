/**
 * An MCP server (Streamable HTTP transport of the official SDK, stateless) protected by
 * resource-guard: RFC 9728 metadata, tokens for exactly this server's URI, per-tool scopes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { mcpAuth } from '@resource-guard/mcp';
import * as z from 'zod';

/** Scopes per tool; `whoami` needs only a valid token. */
export const TOOL_SCOPES = { list_orders: 'orders:read', cancel_order: 'orders:write' } as const;

/** Options of {@link startMcpServer}. */
export interface McpServerOptions {
  /** Trusted authorization server (the dev AS: `npm run dev-as`). */
  issuer: string;
  /** Port on 127.0.0.1; default a random one. */
  port?: number;
}

/** A running MCP server. */
export interface RunningMcpServer {
  /** The MCP endpoint, also the resource identifier tokens must be issued for. */
  url: string;
  /** Its RFC 9728 metadata URL. */
  metadataUrl: string;
  close(): Promise<void>;
}

function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'orders-mcp', version: '0.1.0' });
  server.registerTool('whoami', { description: 'Who the token belongs to' }, (extra) => ({
    content: [{ type: 'text', text: `client ${extra.authInfo?.clientId ?? 'unknown'}` }],
  }));
  server.registerTool('list_orders', { description: 'List orders (orders:read)' }, () => ({
    content: [{ type: 'text', text: JSON.stringify([{ id: 'o-1', status: 'open' }]) }],
  }));
  server.registerTool('cancel_order', { description: 'Cancel an order (orders:write)', inputSchema: { id: z.string() } }, ({ id }) => ({
    content: [{ type: 'text', text: `cancelled ${id}` }],
  }));
  return server;
}

/** Starts the MCP server; its URL (and so its token audience) is known once it listens. */
export async function startMcpServer(options: McpServerOptions): Promise<RunningMcpServer> {
  const httpServer = http.createServer();
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`;
  const auth = mcpAuth({
    issuer: options.issuer,
    resource: url,
    resourceMetadata: { scopesSupported: ['orders:read', 'orders:write'], resourceName: 'Orders MCP server' },
  });

  const app = express();
  app.use(auth.metadata);
  app.post('/mcp', auth.protect, express.json(), auth.requireToolScopes(TOOL_SCOPES), async (req, res, next) => {
    // Stateless: one server and transport per request, as in the SDK's own stateless example.
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
  httpServer.on('request', app);
  return {
    url,
    metadataUrl: auth.resourceMetadataUrl,
    close: () => new Promise<void>((resolve) => {
      httpServer.closeAllConnections();
      httpServer.close(() => resolve());
    }),
  };
}
