/**
 * The set-up of the token-exchange client suites (test/exchange/client.test.ts and its node-only
 * twin): a token endpoint we control (a loopback server answering what each test says, for the
 * answers the dev AS does not give: 5xx, garbage, odd token types), recording every call, and a
 * mock issuer for the caller's tokens.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestFn } from 'ava';
import { createGuard, type AuthContext, type Guard } from '@resource-guard/core';
import type { TokenExchangeOptions } from '@resource-guard/core/exchange';
import { AUDIENCE, bearerRequest, useMockIssuer, type MockIssuer } from './issuer.js';

/** How the token endpoint answers one request (its form body already read). */
export type Handler = (request: IncomingMessage, body: URLSearchParams, response: ServerResponse) => void;

/** The running token endpoint: its URL, the calls it received, and the handler a test sets. */
export interface TokenEndpoint { url: string; calls: Array<{ headers: IncomingMessage['headers']; body: URLSearchParams }>; handler: Handler }

/** Answers `body` (a string as it is, anything else as JSON) with `status`. */
export const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
};

let issued = 0;
/** A handler that issues a new Bearer access token for 300 s at each call (`extra` overrides members). */
export const okHandler = (extra: Record<string, unknown> = {}): Handler => (_request, _body, response) => {
  issued += 1;
  json(response, 200, { access_token: `exchanged-${issued}`, token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', expires_in: 300, ...extra });
};

/** What a token-exchange suite works with; `endpoint` and `issuer` run from `test.before` on. */
export interface ExchangeSuite {
  issuer: MockIssuer;
  endpoint: TokenEndpoint;
  /** Client-secret options for the endpoint. */
  base(): TokenExchangeOptions;
  guardOf(options?: Record<string, unknown>): Guard;
  /** The context of a caller's token of `issuer`, as the API verified it. */
  callerOf(guard: Guard, claims?: Record<string, unknown>): Promise<AuthContext>;
  target: { audience: string };
}

/** Starts the token endpoint and the mock issuer for a whole test file. */
export function useExchangeSuite(suite: { before: TestFn['before']; after: TestFn['after'] }): ExchangeSuite {
  const issuer = useMockIssuer(suite);
  const endpoint: TokenEndpoint = { url: '', calls: [], handler: okHandler() };
  let close: (() => Promise<void>) | undefined;
  suite.before(async () => {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        endpoint.calls.push({ headers: request.headers, body });
        endpoint.handler(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    close = () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  suite.after.always(async () => {
    await close?.();
  });
  const guardOf = (options: Record<string, unknown> = {}): Guard => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, ...options });
  return {
    issuer,
    endpoint,
    base: () => ({ clientId: 'api', clientSecret: 'secret', tokenEndpoint: endpoint.url }),
    guardOf,
    callerOf: async (guard, claims = {}) => guard.verify(bearerRequest(await issuer.sign(claims))),
    target: { audience: 'https://inventory.test' },
  };
}
