/** The example's MCP server: three tools, and the scopes each needs. */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';

/** Scopes per tool; `whoami` needs only a valid token. */
export const TOOL_SCOPES = { list_orders: 'orders:read', cancel_order: 'orders:write' } as const;

/** `orders:write` implies `orders:read`; `admin` implies every scope. */
export const SCOPE_HIERARCHY = { 'orders:write': ['orders:read'], admin: '*' } as const;

/** A fresh server per request (stateless, as in the SDK's own stateless examples). */
export function createMcpServer(): McpServer {
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
