/**
 * Token exchange in the demo: the Express API's `GET /stock` calls the inventory API (in this
 * process, verifying its own audience) for its caller with a token from RFC 8693 token exchange at
 * the dev AS; the caller's own token, sent to the inventory API directly, is refused; one exchange
 * per user and audience. Run one at a time (the exchange count must see only that flow's calls).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createInventoryApp } from '@resource-guard-examples/express-api';
import { callApi, requestToken } from './client.js';
import type { Flow, FlowContext } from './flows.js';
import { observe, stepFailed } from './observe.js';

/** The inventory API, listening on a free loopback port. */
export interface Inventory {
  url: string;
  close(): Promise<void>;
}

/** Starts the inventory API (Express, audience `urn:resource-guard:inventory-api`) trusting `issuer`. */
export async function startInventory(issuer: string): Promise<Inventory> {
  const server: Server = createServer(createInventoryApp({ issuer }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const userToken = async (context: FlowContext, client = CLIENTS.demo, scope = 'orders:read'): Promise<string> =>
  (await requestToken(context.as, client, { scope, resource: RESOURCES.jwt })).access_token;

/** The flows; `api` is the Express API started with `INVENTORY_URL`, `inventory` the inventory API. */
export function exchangeFlows(inventory: () => string): readonly Flow[] {
  return [
    {
      id: 'exchange-call',
      title: 'API calls the inventory API for its caller',
      expected: { status: 200 },
      async run(context, api) {
        const { response } = await callApi(`${api.url}/stock`, { token: await userToken(context), headers: {} });
        const answer = JSON.parse(response.body || '{}') as { inventory?: { forUser?: string; viaClient?: string } };
        if (response.status === 200 && answer.inventory?.forUser !== CLIENTS.demo.clientId) return { ...observe(response), failedStep: 'the inventory API answered for someone else' };
        return observe(response, `GET /stock → exchanged token → inventory: for ${answer.inventory?.forUser ?? '-'} via ${answer.inventory?.viaClient ?? '-'}`);
      },
    },
    {
      id: 'exchange-direct',
      title: 'the caller\'s own token at the inventory API',
      expected: { status: 401, scheme: 'Bearer', error: 'invalid_token' },
      async run(context) {
        const { response } = await callApi(`${inventory()}/stock`, { token: await userToken(context), headers: {} });
        return observe(response, 'sent directly: its audience is the orders API, not the inventory');
      },
    },
    {
      id: 'exchange-once',
      title: 'one exchange per user and audience',
      expected: { status: 200 },
      async run(context, api) {
        const count = context.tokensExchanged;
        if (count === undefined) throw new Error('this flow needs the AS\'s exchange count');
        const users = [await userToken(context), await userToken(context, CLIENTS.limited, 'profile:read')];
        const before = count();
        let last = undefined as Awaited<ReturnType<typeof callApi>> | undefined;
        for (let round = 0; round < 3; round += 1) {
          for (const token of users) {
            last = await callApi(`${api.url}/stock`, { token, headers: {} });
            if (last.response.status !== 200) return stepFailed(`GET /stock, round ${round + 1}`, last.response);
          }
        }
        const exchanges = count() - before;
        const seen = observe(last!.response, `2 users × 3 calls; exchanges at the AS: ${exchanges}`);
        return exchanges === 2 ? seen : { ...seen, failedStep: `exchanges at the AS: ${exchanges}, expected 2 (one per user)` };
      },
    },
  ];
}
