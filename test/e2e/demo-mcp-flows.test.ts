/**
 * The demo's MCP flows (`npm run demo`), asserted: the example MCP server on every framework as
 * the demo starts it (headers decide the per-tool scopes), the real dev authorization server,
 * every flow's expectation met.
 */
import test from 'ava';
import { startAuthorizationServer, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import { createFlowContext, judge, MCP_FLOWS, startMcpServers, type ApiTarget, type FlowContext } from '@resource-guard-examples/demo';
import type { RunningMcpServer } from '@resource-guard-examples/mcp-server';

let as: DevAuthorizationServer;
let context: FlowContext;
let targets: ApiTarget[] = [];
let servers: RunningMcpServer[] = [];

test.before(async () => {
  as = await startAuthorizationServer();
  ({ targets, servers } = await startMcpServers(as.issuer));
  context = await createFlowContext(as.issuer);
});

test.after.always(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await as?.close();
});

test('the demo walks the MCP flows on every framework', (t) => {
  t.deepEqual(MCP_FLOWS.map((flow) => flow.id), ['mcp-discovery', 'mcp-insufficient-scope', 'mcp-step-up', 'mcp-wrong-audience', 'mcp-origin']);
  t.deepEqual(targets.map((target) => target.framework), ['express MCP', 'koa MCP', 'fastify MCP', 'hono MCP']);
});

for (const flow of MCP_FLOWS) {
  for (const index of [0, 1, 2, 3]) {
    test(`${['express', 'koa', 'fastify', 'hono'][index]} MCP: ${flow.title}`, async (t) => {
      const observation = await flow.run(context, targets[index]!);
      t.deepEqual(judge(flow.expected, observation).problems, []);
    });
  }
}
