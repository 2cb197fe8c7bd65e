/**
 * The demo's gateway flows (`npm run demo`), asserted: the example gateways in front of the
 * Express and Koa sample APIs as the demo configures them, every flow's expectation met.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { createApp as createExpressApp } from '@resource-guard-examples/express-api';
import { createApp as createKoaApp } from '@resource-guard-examples/koa-api';
import { readApiConfig } from '@resource-guard-examples/shared';
import { startAuthorizationServer, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import {
  apiEnvironment, createFlowContext, GATEWAY_FLOWS, judge, startGateways, type ApiTarget, type FlowContext,
} from '@resource-guard-examples/demo';
import type { RunningGateway } from '@resource-guard-examples/gateway';

let as: DevAuthorizationServer;
let context: FlowContext;
let targets: ApiTarget[] = [];
let gateways: RunningGateway[] = [];
const servers: http.Server[] = [];

test.before(async () => {
  as = await startAuthorizationServer();
  const { guard } = readApiConfig(apiEnvironment(as.issuer, 0), 0);
  const apis: ApiTarget[] = [];
  for (const [framework, listener] of [['express', createExpressApp(guard)], ['koa', createKoaApp(guard).callback()]] as const) {
    const server = http.createServer(listener as http.RequestListener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    apis.push({ framework, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  }
  ({ targets, gateways } = await startGateways(as, apis));
  context = await createFlowContext(as.issuer);
});

test.after.always(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await as?.close();
});

test('the demo walks the gateway flows, on an Express and a Koa gateway', (t) => {
  t.deepEqual(GATEWAY_FLOWS.map((flow) => flow.id), [
    'phantom', 'phantom-revoked', 'split', 'split-altered', 'split-deleted', 'cookie', 'cookie-no-csrf', 'cookie-tampered',
  ]);
  t.deepEqual(targets.map((target) => target.framework), ['express gateway', 'koa gateway']);
});

for (const flow of GATEWAY_FLOWS) {
  for (const index of [0, 1]) {
    test(`${index === 0 ? 'express' : 'koa'} gateway: ${flow.title}`, async (t) => {
      const observation = await flow.run(context, targets[index]!);
      t.is(observation.status, flow.expected.status);
      if (flow.expected.auth !== undefined) t.like(observation.auth, flow.expected.auth);
      t.deepEqual(judge(flow.expected, observation).problems, []);
    });
  }
}
