/**
 * The gateway end-to-end setup: the real dev AS, a real sample API (Express or Koa) that verifies
 * JWTs with protect() and nothing else (no introspection), every request it receives recorded,
 * and the example gateway (examples/gateway, http-proxy-middleware) in front of it.
 */
import test from 'ava';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp as createExpressApp } from '@resource-guard-examples/express-api';
import { createApp as createKoaApp } from '@resource-guard-examples/koa-api';
import { startGateway, type RunningGateway } from '@resource-guard-examples/gateway';
import { RESOURCES } from '@resource-guard-tools/dev-authorization-server';
import { createSplitToken, type CredentialExchange, type PhantomTokenOptions } from '@resource-guard/gateway';
import type { GuardOptions } from '@resource-guard/core';
import { getToken, startDevAs, type DevAs } from './dev-as.js';

/** The frameworks the gateway (and the API behind it) run on. */
export const FRAMEWORKS = ['express', 'koa'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/** A request the sample API received: method, path and headers. */
export interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A running sample API recording every request. */
export interface CapturingApi {
  readonly url: string;
  readonly requests: Captured[];
  close(): Promise<void>;
}

/** What the APIs behind the gateway accept: JWTs of the dev AS for the dev resources, nothing else. */
export function upstreamGuardOptions(issuer: string): GuardOptions {
  return { issuer, audience: [RESOURCES.jwt, RESOURCES.opaque, RESOURCES.split], realm: 'sample-api' };
}

/** Starts the sample API of `framework` (no introspection: opaque tokens are refused) on loopback. */
export async function startCapturingApi(framework: Framework, issuer: string): Promise<CapturingApi> {
  const options = upstreamGuardOptions(issuer);
  const listener = framework === 'express' ? createExpressApp(options) : createKoaApp(options).callback();
  const requests: Captured[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The dev AS, the capturing API and the gateway in front of it, for one framework. */
export interface GatewaySetup {
  readonly dev: DevAs;
  readonly api: CapturingApi;
  readonly gateway: RunningGateway;
  /** What the gateway logged (5xx rejections), instead of the console. */
  readonly logged: string[];
  close(): Promise<void>;
}

/** Starts everything; `routes` builds the gateway's patterns once the AS's issuer is known. */
export async function startGatewaySetup(
  framework: Framework,
  routes: (dev: DevAs) => Record<string, CredentialExchange>,
  dev?: DevAs,
): Promise<GatewaySetup> {
  const as = dev ?? await startDevAs();
  const api = await startCapturingApi(framework, as.server.issuer);
  const logged: string[] = [];
  const errors = { logger: { error: (line: string) => logged.push(line) } };
  const gateway = await startGateway({ framework, upstream: api.url, routes: routes(as), errors });
  return {
    dev: as,
    api,
    gateway,
    logged,
    async close() {
      await gateway.close();
      await api.close();
      if (dev === undefined) await as.close();
    },
  };
}

/** One dev AS and a gateway setup per framework, shared by the tests of a file. */
export interface GatewaySuite {
  /** The dev AS (set once the `before` hook ran). */
  readonly dev: DevAs;
  /** The running setup of `framework`. */
  setup(framework: Framework): GatewaySetup;
}

/**
 * Registers the file's `before` hook (the dev AS, then a setup per framework with the gateway
 * patterns `routes` builds) and the `after.always` hook that closes them. One hook on purpose:
 * ava may run separate `before` hooks concurrently, and the gateways need the AS first.
 */
export function useGatewaySuite(routes: (dev: DevAs) => Record<string, CredentialExchange>): GatewaySuite {
  let dev: DevAs | undefined;
  const setups = new Map<Framework, GatewaySetup>();
  test.before(async () => {
    dev = await startDevAs();
    for (const framework of FRAMEWORKS) setups.set(framework, await startGatewaySetup(framework, routes, dev));
  });
  test.after.always(async () => {
    await Promise.all([...setups.values()].map((setup) => setup.close()));
    await dev?.close();
  });
  return {
    get dev() {
      if (dev === undefined) throw new Error('the gateway suite has not started: use it inside a test');
      return dev;
    },
    setup: (framework) => setups.get(framework)!,
  };
}

/** Asserts-friendly view: does any captured request carry `needle` in any header? */
export function carries(requests: readonly Captured[], needle: string): boolean {
  return requests.some(({ headers }) => Object.values(headers).some((value) => String(value).includes(needle)));
}

/** Phantom-token options against the dev AS: its introspection endpoint as `resource-server`, JWTs for the opaque resource. */
export function phantomOptions(dev: DevAs, overrides: Partial<PhantomTokenOptions> = {}): PhantomTokenOptions {
  const { clientId, clientSecret } = dev.server.clients.resourceServer;
  return {
    introspection: { endpoint: dev.as.introspection_endpoint!, clientId, clientSecret },
    verify: { issuer: dev.server.issuer, audience: RESOURCES.opaque },
    allowInsecureRequests: true,
    ...overrides,
  };
}

/** The split-token pattern against the dev AS: its split-token store, JWTs for the split resource. */
export function splitTokenRoute(dev: DevAs): CredentialExchange {
  return createSplitToken({ store: dev.server.splitTokenStore, verify: { issuer: dev.server.issuer, audience: RESOURCES.split } });
}

/** An opaque `orders:read` token of `demo-client`. */
export async function opaqueToken(dev: DevAs): Promise<string> {
  return (await getToken(dev, dev.server.clients.demo, { scope: 'orders:read', resource: RESOURCES.opaque })).access_token;
}
