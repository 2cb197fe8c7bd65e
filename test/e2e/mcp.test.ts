/**
 * End to end, on every adapter: the MCP example server (the SDK's Streamable HTTP transport behind
 * @resource-guard/mcp on Express, Koa, Fastify and Hono), the SDK's own client and discovery
 * helpers, and real tokens from the dev authorization server issued for the server's URI (RFC 8707).
 * One dev authorization server for the whole file.
 */
import test from 'ava';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { FRAMEWORKS, startMcpServer, type RunningMcpServer } from '@resource-guard-examples/mcp-server';
import * as mcpExpress from '@resource-guard/mcp/express';
import * as mcpKoa from '@resource-guard/mcp/koa';
import * as mcpFastify from '@resource-guard/mcp/fastify';
import * as mcpFetch from '@resource-guard/mcp/fetch';
import { mcpAuth, requireToolScopes } from '@resource-guard/mcp';
import { findChallenge } from '../helpers/challenge.js';
import { clientHandle } from '../helpers/dpop.js';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';

let dev: DevAs;
const servers = new Map<string, RunningMcpServer>();

test.before(async () => {
  dev = await startDevAs();
  // SDK 1.x clients send no Mcp-Method/Mcp-Name headers: the servers parse the body.
  for (const framework of FRAMEWORKS) servers.set(framework, await startMcpServer({ issuer: dev.server.issuer, framework }));
});

test.after.always(async () => {
  await Promise.all([...servers.values()].map((server) => server.close()));
  await dev?.close();
});

const tokenFor = async (scope: string, resource: string) => (await getToken(dev, dev.server.clients.demo, { scope, resource })).access_token;

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'resource-guard-test', version: '0.0.0' });
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A raw JSON-RPC POST, to look at the HTTP answer the SDK client only reports as an error. */
function post(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });
}

const callTool = (name: string, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { id: 'o-1' } } });

for (const framework of FRAMEWORKS) {
  test(`[${framework}] the SDK client: 401 → metadata discovery → token for the resource → a tool refused, then allowed with a wider token`, async (t) => {
    const mcp = servers.get(framework)!;
    // 1. No token: 401 with resource_metadata and scope, read by the SDK's own helper.
    await t.throwsAsync(connect(mcp.url), { instanceOf: StreamableHTTPError });
    const unauthorized = await post(mcp.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    t.is(unauthorized.status, 401);
    const challenge = extractWWWAuthenticateParams(unauthorized);
    t.is(challenge.resourceMetadataUrl?.href, mcp.metadataUrl);
    t.is(challenge.scope, 'orders:read');
    // 2. Discovery, as the SDK's client does it: the metadata names the dev AS and the resource.
    const metadata = await discoverOAuthProtectedResourceMetadata(mcp.url);
    t.is(metadata.resource, mcp.url);
    t.deepEqual(metadata.authorization_servers, [dev.server.issuer]);
    // 3. A token for exactly this resource, with the scope the challenge asked for.
    const reader = await tokenFor(challenge.scope!, String(metadata.resource));
    const client = await connect(mcp.url, reader);
    try {
      const { tools } = await client.listTools();
      t.deepEqual(tools.map((tool) => tool.name).sort(), ['cancel_order', 'list_orders', 'whoami']);
      t.regex(JSON.stringify((await client.callTool({ name: 'list_orders', arguments: {} })).content), /o-1/);
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      t.regex(JSON.stringify(who.content), /client demo-client/, 'the tool sees the verified context as extra.authInfo');
      // 4. A tool out of scope: 403, which the SDK client surfaces; the challenge names the scope.
      const error = await t.throwsAsync(client.callTool({ name: 'cancel_order', arguments: { id: 'o-1' } }), { instanceOf: StreamableHTTPError });
      t.is(error?.code, 403);
    } finally {
      await client.close();
    }
    const refused = await post(mcp.url, callTool('cancel_order'), reader);
    const stepUp = extractWWWAuthenticateParams(refused);
    t.is(stepUp.error, 'insufficient_scope');
    t.is(stepUp.scope, 'orders:write');
    t.is(stepUp.resourceMetadataUrl?.href, mcp.metadataUrl);
    // 5. The wider token (orders:write, which also implies orders:read here): the same call passes.
    const writer = await tokenFor(stepUp.scope!, mcp.url);
    const wider = await connect(mcp.url, writer);
    try {
      t.regex(JSON.stringify((await wider.callTool({ name: 'cancel_order', arguments: { id: 'o-1' } })).content), /cancelled o-1/);
      t.regex(JSON.stringify((await wider.callTool({ name: 'list_orders', arguments: {} })).content), /o-1/);
    } finally {
      await wider.close();
    }
    // A token issued for another resource is refused: the audience is the server's URI.
    const other = await post(mcp.url, callTool('list_orders'), await tokenFor('orders:read', dev.server.resources.jwt));
    t.is(other.status, 401);
    t.is(findChallenge(other.headers.get('www-authenticate') ?? undefined, 'Bearer')?.params.error, 'invalid_token');
  });
}

// Loaded by a specifier TypeScript does not follow: the module's `declare module` retypes every
// Express `req.auth` as the SDK's AuthInfo, for the whole test program (see docs/mcp.md).
const BEARER_AUTH = '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
const ENTRY_POINTS = { express: mcpExpress, koa: mcpKoa, fastify: mcpFastify, fetch: mcpFetch } as const;

for (const [name, entry] of Object.entries(ENTRY_POINTS)) {
  test(`[${name}] the verifier behind the SDK's own requireBearerAuth, with the SDK client: audience checked; a DPoP-bound token refused`, async (t) => {
    const { requireBearerAuth } = await import(BEARER_AUTH) as {
      requireBearerAuth(options: { verifier: unknown; resourceMetadataUrl?: string }): express.RequestHandler;
    };
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const resource = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    const auth = entry.mcpAuth({ issuer: dev.server.issuer, resource });
    const app = express();
    app.post('/mcp', express.json(), requireBearerAuth({ verifier: auth.verifier, resourceMetadataUrl: auth.resourceMetadataUrl }), async (req, res) => {
      const mcp = new McpServer({ name: 'sdk-seam', version: '0.0.0' });
      mcp.registerTool('whoami', { description: 'who' }, (extra) => ({
        content: [{ type: 'text', text: `${extra.authInfo?.clientId} ${extra.authInfo?.resource?.href} ${Object.keys(extra.authInfo ?? {}).includes('token')}` }],
      }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => void transport.close());
      await mcp.connect(transport);
      // requireBearerAuth set req.auth to the SDK's AuthInfo (typed here as resource-guard's context).
      await transport.handleRequest(req as unknown as http.IncomingMessage & { auth?: AuthInfo }, res, req.body);
    });
    server.on('request', app);
    try {
      const client = await connect(resource, await tokenFor('orders:read', resource));
      try {
        const who = await client.callTool({ name: 'whoami', arguments: {} });
        t.regex(JSON.stringify(who.content), new RegExp(`demo-client ${resource} false`), 'AuthInfo filled, token not enumerable');
      } finally {
        await client.close();
      }
      const other = await post(resource, callTool('whoami'), await tokenFor('orders:read', dev.server.resources.jwt));
      t.is(other.status, 401);
      t.is(extractWWWAuthenticateParams(other).error, 'invalid_token');
      // What the seam cannot do: the SDK hands over only the token, so a DPoP-bound one is refused.
      const { handle } = await clientHandle();
      const bound = (await getToken(dev, dev.server.clients.demo, { scope: 'orders:read', resource, DPoP: handle })).access_token;
      const boundResponse = await post(resource, callTool('whoami'), bound);
      t.is(boundResponse.status, 401);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
}

test('mcpAuth()/requireToolScopes(): bad arguments are TypeErrors at start-up', (t) => {
  const issuer = dev.server.issuer;
  t.throws(() => requireToolScopes([] as never), { instanceOf: TypeError });
  t.throws(() => requireToolScopes({ cancel_order: [] }), { instanceOf: TypeError });
  t.throws(() => mcpAuth(undefined as never), { instanceOf: TypeError });
  t.throws(() => mcpAuth({ issuer, resource: '' }), { instanceOf: TypeError, message: /"resource"/ });
  t.throws(() => mcpAuth({ issuer, resource: 'https://mcp.example.test', audience: 'x' } as never), { instanceOf: TypeError, message: /"audience"/ });
  t.throws(() => mcpAuth({ issuer, resource: 'https://mcp.example.test', challengeScope: ['x'] } as never), { instanceOf: TypeError, message: /"scopes"/ });
  t.throws(() => mcpAuth({ issuer, resource: 'https://mcp.example.test', resourceMetadata: { scopesSupported: ['a', 'offline_access'] } }), { instanceOf: TypeError, message: /offline_access/ });
  t.throws(() => mcpAuth({ issuer, resource: 'https://mcp.example.test', scopes: ['offline_access'] }), { instanceOf: TypeError, message: /offline_access/ });
  for (const allowedOrigins of [['https://a.example/path'], ['not a url'], ['https://a.example/'], 'https://a.example', [1]]) {
    t.throws(() => mcpAuth({ issuer, resource: 'https://mcp.example.test', allowedOrigins } as never), { instanceOf: TypeError, message: /allowedOrigins/ });
  }
  t.throws(() => mcpFetch.mcpAuth({ issuer, resource: 'https://mcp.example.test' }).protect(undefined as never), { instanceOf: TypeError });
  t.notThrows(() => mcpAuth({ issuer, resource: 'https://mcp.example.test', allowedOrigins: ['https://app.example', 'http://127.0.0.1:3000'], dpop: true }));
  t.notThrows(() => mcpAuth({ issuer, resource: 'https://mcp.example.test', dpop: false }));
});
