/**
 * The set-up of the token-exchange end-to-end suites (test/exchange/e2e.test.ts and its node-only
 * twin): the real dev authorization server, a recording inventory API, and the orders API's guard
 * and exchange. Every inbound (caller) token is remembered, and after the last test every request
 * the inventory received is checked once more: no inbound token anywhere.
 */
import type { TestFn } from 'ava';
import { CLIENTS, RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createGuard, type Guard } from '@resource-guard/core';
import { createTokenExchange, type TokenExchangeOptions } from '@resource-guard/core/exchange';
import { getToken, startDevAs, type DevAs } from './dev-as.js';
import { carriesToken, startRecordingDownstream, verifyCaller, type RecordingDownstream } from './exchange.js';

/** What an end-to-end exchange suite works with; `dev` and `inventory` are set from `test.before` on. */
export interface ExchangeE2e {
  dev: DevAs;
  inventory: RecordingDownstream;
  /** Every caller token handed out, so that none may reach the inventory. */
  inbound: string[];
  /** Milliseconds added to the orders API's clock by tests that need time to pass. */
  offset: number;
  /** The orders API's clock: real time plus `offset`. */
  clock(): number;
  ordersGuard(): Guard;
  exchangeOf(guard: Guard, options?: Partial<TokenExchangeOptions>): ReturnType<typeof createTokenExchange>;
  /** A caller token of the dev AS for `resource`, remembered as inbound. */
  callerToken(resource?: string, client?: typeof CLIENTS.demo): Promise<string>;
  /** The orders API's guard and exchange, and a caller it verified. */
  ordersCaller(options?: Partial<TokenExchangeOptions>): Promise<{ guard: Guard; exchange: ReturnType<typeof createTokenExchange>; token: string; auth: Awaited<ReturnType<typeof verifyCaller>> }>;
}

/** Starts the dev AS and the inventory API for a whole test file. */
export function useExchangeE2e(suite: { before: TestFn['before']; after: TestFn['after'] }): ExchangeE2e {
  const e2e: ExchangeE2e = {
    dev: undefined as unknown as DevAs,
    inventory: undefined as unknown as RecordingDownstream,
    inbound: [],
    offset: 0,
    clock: () => Date.now() + e2e.offset,
    ordersGuard: () => createGuard({
      issuer: e2e.dev.server.issuer,
      audience: [RESOURCES.jwt, RESOURCES.opaque],
      clock: e2e.clock,
      introspection: { clientId: CLIENTS.resourceServer.clientId, clientSecret: CLIENTS.resourceServer.clientSecret },
    }),
    exchangeOf: (guard, options = {}) => createTokenExchange(guard, {
      clientId: CLIENTS.ordersApi.clientId, clientSecret: CLIENTS.ordersApi.clientSecret, ...options,
    }),
    async callerToken(resource = RESOURCES.jwt, client = CLIENTS.demo) {
      const token = (await getToken(e2e.dev, client, { scope: 'orders:read', resource })).access_token;
      e2e.inbound.push(token);
      return token;
    },
    async ordersCaller(options = {}) {
      const guard = e2e.ordersGuard();
      const token = await e2e.callerToken();
      return { guard, exchange: e2e.exchangeOf(guard, options), token, auth: await verifyCaller(guard, token) };
    },
  };
  suite.before(async () => {
    e2e.dev = await startDevAs();
    e2e.inventory = await startRecordingDownstream({ issuer: e2e.dev.server.issuer, audience: RESOURCES.inventory });
  });
  suite.after.always(async () => {
    for (const request of e2e.inventory?.requests ?? []) {
      for (const token of e2e.inbound) if (carriesToken(request, token)) throw new Error('inbound token sent downstream');
    }
    await e2e.inventory?.close();
    await e2e.dev?.close();
  });
  return e2e;
}
