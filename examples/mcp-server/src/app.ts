/**
 * An MCP server (the official SDK's Streamable HTTP transport, stateless) protected by
 * resource-guard on the framework of your choice: RFC 9728 metadata, tokens for exactly this
 * server's URI, `Origin` checked, per-tool scopes with a scope hierarchy, 405 for GET.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpAuthOptions } from '@resource-guard/mcp';
import { expressListener } from './express.js';
import { fastifyListener } from './fastify.js';
import { honoListener } from './hono.js';
import { koaListener } from './koa.js';
import { SCOPE_HIERARCHY } from './tools.js';

export { TOOL_SCOPES, SCOPE_HIERARCHY } from './tools.js';

/** The frameworks the example runs on (`hono`: `@resource-guard/mcp/fetch`). */
export type Framework = 'express' | 'koa' | 'fastify' | 'hono';
export const FRAMEWORKS: readonly Framework[] = ['express', 'koa', 'fastify', 'hono'];

/** Options of {@link startMcpServer}. */
export interface McpServerOptions {
  /** Trusted authorization server (the dev AS: `npm run dev-as`). */
  issuer: string;
  /** Default `express`. */
  framework?: Framework;
  /** Port on 127.0.0.1; default a random one. */
  port?: number;
  /** Parse the JSON body before the per-tool scopes (default true); false: the `Mcp-Method`/`Mcp-Name` headers decide. */
  parseBody?: boolean;
  /** More `mcpAuth()` options (e.g. `dpop`, `allowedOrigins`), on top of the example's. */
  auth?: Partial<McpAuthOptions>;
}

/** A running MCP server. */
export interface RunningMcpServer {
  framework: Framework;
  /** The MCP endpoint, also the resource identifier tokens must be issued for. */
  url: string;
  /** Its RFC 9728 metadata URL. */
  metadataUrl: string;
  close(): Promise<void>;
}

/** Starts the MCP server; its URL (and so its token audience) is known once it listens. */
export async function startMcpServer(options: McpServerOptions): Promise<RunningMcpServer> {
  const framework = options.framework ?? 'express';
  const httpServer = http.createServer();
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`;
  const authOptions: McpAuthOptions = {
    issuer: options.issuer,
    resource: url,
    resourceMetadata: { scopesSupported: ['orders:read', 'orders:write'], resourceName: 'Orders MCP server' },
    scopes: ['orders:read'],
    scopeHierarchy: SCOPE_HIERARCHY,
    ...options.auth,
  };
  const parseBody = options.parseBody ?? true;
  const builders = { express: expressListener, koa: koaListener, fastify: fastifyListener, hono: honoListener };
  const { listener, metadataUrl } = await builders[framework](authOptions, parseBody);
  httpServer.on('request', listener);
  return {
    framework,
    url,
    metadataUrl,
    close: () => new Promise<void>((resolve) => {
      httpServer.closeAllConnections();
      httpServer.close(() => resolve());
    }),
  };
}
