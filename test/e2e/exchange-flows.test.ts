/**
 * The demo's token-exchange flows, proven on every `npm test`: the Express sample API (in-process,
 * configured as the demo configures it) calling the inventory API for its caller with exchanged
 * tokens, the caller's own token refused at the inventory API, one exchange per user and audience.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { CLIENTS, startAuthorizationServer, type DevAuthorizationServer } from '@resource-guard-tools/dev-authorization-server';
import { createApp } from '@resource-guard-examples/express-api';
import { readApiConfig } from '@resource-guard-examples/shared';
import {
  apiEnvironment, createFlowContext, exchangeFlows, judge, startInventory, type FlowContext, type Inventory,
} from '@resource-guard-examples/demo';

let as: DevAuthorizationServer;
let inventory: Inventory;
let server: http.Server;
let url: string;
let context: FlowContext;

test.before(async () => {
  as = await startAuthorizationServer();
  inventory = await startInventory(as.issuer);
  const { guard } = readApiConfig(apiEnvironment(as.issuer, 0), 0);
  const app = createApp(guard, { inventory: { url: inventory.url, exchange: { clientId: CLIENTS.ordersApi.clientId, clientSecret: CLIENTS.ordersApi.clientSecret } } });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  context = { ...await createFlowContext(as.issuer), tokensExchanged: () => as.tokensExchanged };
});
test.after.always(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await inventory?.close();
  await as?.close();
});

for (const flow of exchangeFlows(() => inventory.url)) {
  test.serial(flow.title, async (t) => {
    const observation = await flow.run(context, { framework: 'express', url });
    t.is(observation.failedStep, undefined);
    t.is(observation.status, flow.expected.status);
    t.true(judge(flow.expected, observation).pass);
  });
}
