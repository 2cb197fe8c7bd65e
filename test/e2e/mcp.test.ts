/**
 * End to end: the MCP example server (the SDK's streamable HTTP transport behind
 * @resource-guard/mcp), the SDK's own client and discovery helpers, and real tokens from the dev
 * authorization server issued for the server's URI (RFC 8707).
 */
import test from 'ava';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { startMcpServer, type RunningMcpServer } from '@resource-guard-examples/mcp-server';
import { mcpAuth, requireToolScopes } from '@resource-guard/mcp';
import { findChallenge } from '../helpers/challenge.js';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';

let dev: DevAs;
let mcp: RunningMcpServer;

test.before(async () => {
  dev = await startDevAs();
  mcp = await startMcpServer({ issuer: dev.server.issuer });
});

test.after.always(async () => {
  await mcp?.close();
  await dev?.close();
});

const tokenFor = async (scope: string, resource = mcp.url) => (await getToken(dev, dev.server.clients.demo, { scope, resource })).access_token;

async function connect(token?: string): Promise<Client> {
  const client = new Client({ name: 'resource-guard-test', version: '0.0.0' });
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers } }));
  return client;
}

/** A raw JSON-RPC POST, to look at the HTTP answer the SDK client only reports as an error. */
function post(body: unknown, token?: string): Promise<Response> {
  return fetch(mcp.url, {
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

test('the SDK client lists the tools and calls one within its scope', async (t) => {
  const client = await connect(await tokenFor('orders:read'));
  try {
    const { tools } = await client.listTools();
    t.deepEqual(tools.map((tool) => tool.name).sort(), ['cancel_order', 'list_orders', 'whoami']);
    const result = await client.callTool({ name: 'list_orders', arguments: {} });
    t.falsy(result.isError);
    t.regex(JSON.stringify(result.content), /o-1/);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    t.regex(JSON.stringify(who.content), /client demo-client/, 'the tool sees the verified context as extra.authInfo');
  } finally {
    await client.close();
  }
});

test('a tool out of scope → 403 insufficient_scope with scope and resource_metadata, as the SDK reads it', async (t) => {
  const token = await tokenFor('orders:read');
  const client = await connect(token);
  try {
    const error = await t.throwsAsync(client.callTool({ name: 'cancel_order', arguments: { id: 'o-1' } }), { instanceOf: StreamableHTTPError });
    t.is(error?.code, 403);
  } finally {
    await client.close();
  }
  const response = await post(callTool('cancel_order'), token);
  t.is(response.status, 403);
  const sdkView = extractWWWAuthenticateParams(response);
  t.is(sdkView.error, 'insufficient_scope');
  t.is(sdkView.scope, 'orders:write');
  t.is(sdkView.resourceMetadataUrl?.href, mcp.metadataUrl);
  // In a batch, the out-of-scope call still decides.
  t.is((await post([callTool('list_orders', 1), callTool('cancel_order', 2)], token)).status, 403);
  // With the scope, the same call passes.
  t.is((await post(callTool('cancel_order'), await tokenFor('orders:write'))).status, 200);
});

test('no token → 401 with resource_metadata; the SDK discovers the metadata, which names the dev AS', async (t) => {
  const response = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  t.is(response.status, 401);
  const bearer = findChallenge(response.headers.get('www-authenticate') ?? undefined, 'Bearer');
  t.is(bearer?.params.error, undefined);
  t.is(bearer?.params.resource_metadata, mcp.metadataUrl);
  t.is(extractWWWAuthenticateParams(response).resourceMetadataUrl?.href, mcp.metadataUrl);
  const metadata = await discoverOAuthProtectedResourceMetadata(mcp.url);
  t.is(metadata.resource, mcp.url);
  t.deepEqual(metadata.authorization_servers, [dev.server.issuer]);
  t.deepEqual(metadata.scopes_supported, ['orders:read', 'orders:write']);
  await t.throwsAsync(connect(), { instanceOf: StreamableHTTPError });
});

test('a token issued for another resource → 401 invalid_token (the audience is the server\'s URI)', async (t) => {
  const token = await tokenFor('orders:read', dev.server.resources.jwt);
  const response = await post(callTool('list_orders'), token);
  t.is(response.status, 401);
  t.is(findChallenge(response.headers.get('www-authenticate') ?? undefined, 'Bearer')?.params.error, 'invalid_token');
  t.false((await response.text()).includes(token));
});

// Loaded by a specifier TypeScript does not follow: the module's `declare module` retypes every
// Express `req.auth` as the SDK's AuthInfo, for the whole test program (see the README's MCP notes).
const BEARER_AUTH = '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';

test('the SDK\'s own requireBearerAuth with the resource-guard verifier: audience checked, AuthInfo filled', async (t) => {
  const { requireBearerAuth } = await import(BEARER_AUTH) as {
    requireBearerAuth(options: { verifier: unknown; resourceMetadataUrl?: string; expectedResource?: URL }): express.RequestHandler;
  };
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const resource = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const auth = mcpAuth({ issuer: dev.server.issuer, resource });
  const app = express();
  app.post('/mcp', requireBearerAuth({ verifier: auth.verifier, resourceMetadataUrl: auth.resourceMetadataUrl, expectedResource: new URL(resource) }),
    (req, res) => {
      const info = (req as { auth?: AuthInfo }).auth;
      res.json({ clientId: info?.clientId, scopes: info?.scopes, resource: info?.resource?.href, tokenListed: Object.keys(info ?? {}).includes('token') });
    });
  server.on('request', app);
  try {
    const call = async (token: string) => fetch(resource, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const ok = await call(await (getToken(dev, dev.server.clients.demo, { scope: 'orders:read', resource }).then((r) => r.access_token)));
    t.is(ok.status, 200);
    t.deepEqual(await ok.json(), { clientId: 'demo-client', scopes: ['orders:read'], resource, tokenListed: false });
    const other = await call(await tokenFor('orders:read', dev.server.resources.jwt));
    t.is(other.status, 401);
    t.is(extractWWWAuthenticateParams(other).error, 'invalid_token');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('requireToolScopes: a bad argument is a TypeError at start-up; without express.json() a 500 naming the misuse', async (t) => {
  t.throws(() => requireToolScopes([] as never), { instanceOf: TypeError });
  t.throws(() => requireToolScopes({ cancel_order: [] }), { instanceOf: TypeError });
  t.throws(() => mcpAuth({ issuer: dev.server.issuer, resource: '' }), { instanceOf: TypeError, message: /"resource"/ });
  t.throws(() => mcpAuth({ issuer: dev.server.issuer, resource: 'https://mcp.example.test', audience: 'x' } as never), { instanceOf: TypeError, message: /"audience"/ });
  const errors: unknown[] = [];
  const app = express();
  const auth = mcpAuth({ issuer: dev.server.issuer, resource: 'http://127.0.0.1:1/mcp' });
  app.post('/mcp', auth.protect, auth.requireToolScopes({ cancel_order: 'orders:write' }), (_req, res) => {
    res.end('ran');
  });
  app.use((error: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    errors.push(error);
    next(error);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  try {
    const token = await tokenFor('orders:read', 'http://127.0.0.1:1/mcp');
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, {
      method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(callTool('cancel_order')),
    });
    t.is(response.status, 500);
    t.is((errors[0] as { code?: string }).code, 'ERR_MISCONFIGURED_BODY_PARSER');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
