/**
 * The MCP flows: the example MCP server (examples/mcp-server) on each framework, in this process,
 * called the way an MCP 2026-07-28 client calls it: a JSON-RPC POST with the `Mcp-Method` and
 * `Mcp-Name` headers (the servers parse no body here: the headers decide the per-tool scopes).
 * The client discovers the authorization server from the 401, asks for a token for exactly the
 * server's URI (RFC 8707), and steps up when a tool needs more (403 `insufficient_scope`).
 */
import { CLIENTS } from '@resource-guard-tools/dev-authorization-server';
import { FRAMEWORKS, startMcpServer, type RunningMcpServer } from '@resource-guard-examples/mcp-server';
import { parseChallenges } from './challenge.js';
import { requestToken, type ApiResponse } from './client.js';
import type { ApiTarget, Flow, FlowContext } from './flows.js';
import { observe, stepFailed } from './observe.js';

/** Starts the MCP server on every framework; the targets' URLs are the MCP endpoints. */
export async function startMcpServers(issuer: string): Promise<{ targets: ApiTarget[]; servers: RunningMcpServer[] }> {
  const servers = await Promise.all(FRAMEWORKS.map((framework) => startMcpServer({ issuer, framework, parseBody: false })));
  return { servers, targets: servers.map((server) => ({ framework: `${server.framework} MCP`, url: server.url })) };
}

/** `tools/call` of `tool`, as a 2026-07-28 client sends it. */
async function callTool(url: string, tool: string, token?: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-method': 'tools/call',
      'mcp-name': tool,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: { id: 'o-1' } } }),
  });
  return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate') ?? undefined, body: await response.text() };
}

const param = (response: ApiResponse, name: string): string | undefined => parseChallenges(response.wwwAuthenticate)[0]?.params[name];

const tokenFor = async (context: FlowContext, scope: string, resource: string): Promise<string> =>
  (await requestToken(context.as, CLIENTS.demo, { scope, resource })).access_token;

/** The flows, in the order the demo prints them. */
export const MCP_FLOWS: readonly Flow[] = [
  {
    id: 'mcp-discovery',
    title: 'MCP: 401 → metadata → token for the server\'s URI → tool call',
    expected: { status: 200 },
    async run(context, api) {
      const challenged = await callTool(api.url, 'list_orders');
      const metadataUrl = param(challenged, 'resource_metadata');
      const scope = param(challenged, 'scope');
      if (challenged.status !== 401 || metadataUrl === undefined || scope === undefined) return stepFailed('401 with resource_metadata and scope', challenged);
      const metadata = await (await fetch(metadataUrl)).json() as { resource: string; authorization_servers: string[] };
      if (!metadata.authorization_servers.includes(context.as.issuer)) return stepFailed('the metadata names the AS', challenged);
      return observe(await callTool(api.url, 'list_orders', await tokenFor(context, scope, metadata.resource)));
    },
  },
  {
    id: 'mcp-insufficient-scope',
    title: 'MCP: a tool that needs more → 403 naming the scope',
    expected: { status: 403, error: 'insufficient_scope', scope: 'orders:write' },
    run: async (context, api) => observe(await callTool(api.url, 'cancel_order', await tokenFor(context, 'orders:read', api.url))),
  },
  {
    id: 'mcp-step-up',
    title: 'MCP: step-up with the challenged scope → the tool runs',
    expected: { status: 200 },
    async run(context, api) {
      const refused = await callTool(api.url, 'cancel_order', await tokenFor(context, 'orders:read', api.url));
      const scope = param(refused, 'scope');
      if (refused.status !== 403 || scope === undefined) return stepFailed('403 insufficient_scope', refused);
      return observe(await callTool(api.url, 'cancel_order', await tokenFor(context, `orders:read ${scope}`, api.url)));
    },
  },
  {
    id: 'mcp-wrong-audience',
    title: 'MCP: a token for another resource → 401 invalid_token',
    expected: { status: 401, error: 'invalid_token' },
    run: async (context, api) => observe(await callTool(api.url, 'list_orders', await tokenFor(context, 'orders:read', `${api.url}-other`))),
  },
  {
    id: 'mcp-origin',
    title: 'MCP: a foreign Origin (DNS rebinding) → 403',
    expected: { status: 403 },
    run: async (context, api) => observe(await callTool(api.url, 'list_orders', await tokenFor(context, 'orders:read', api.url), { origin: 'http://evil.example' })),
  },
];
