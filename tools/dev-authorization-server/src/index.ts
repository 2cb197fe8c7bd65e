/**
 * DEVELOPMENT ONLY OAuth 2.0 authorization server (oidc-provider) for local use, the demo and
 * end-to-end tests. Start it in-process with {@link startAuthorizationServer}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { default as Provider, errors } from 'oidc-provider';

import { createMemoryStore, type Store } from '@resource-guard/core';

import { CLIENTS, RESOURCES } from './config.js';
import { installGatewayPatterns } from './gateway-patterns.js';
import { handleInteraction } from './interactions.js';
import { generateSigningKeys } from './keys.js';
import { createProvider } from './provider.js';
import { installTokenExchange } from './token-exchange.js';

export { createProvider } from './provider.js';
export { getDevToken, type DevToken, type DevTokenKind, type DevTokenOptions } from './tokens.js';

export {
  ACCESS_TOKEN_TTL,
  CLIENT_CERT_HEADER,
  CLIENTS,
  EXCHANGE_SCOPES,
  EXCHANGED_TOKEN_TTL,
  TOKEN_EXCHANGE_POLICY,
  RESOURCE_ENCRYPTION_ENC,
  RESOURCE_ENCRYPTION_KEY,
  RESOURCE_ENCRYPTION_KEY_FILE,
  RESOURCES,
  SCOPES,
  SHORT_LIVED_TTL,
  SIGNING_ALG,
  WEB_ACCESS_TOKEN_TTL,
  type DevClient,
  type Scope,
  type TokenExchangePolicy,
} from './config.js';
export { TOKEN_EXCHANGE_GRANT } from './token-exchange.js';
export { loadDevClientCertificate, parseCertificateHeader, type DevClientCertificate } from './mtls.js';

/** oidc-provider's default introspection route (the dev configuration keeps it). */
const INTROSPECTION_PATH = '/token/introspection';

/** Options of {@link startAuthorizationServer}. */
export interface StartOptions {
  /** TCP port; `0` (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1` (loopback only). */
  host?: string;
  /** Log one line per request and every rejected grant/introspection to stdout; default false. */
  log?: boolean;
  /**
   * Where split tokens' headers and payloads are kept (tokens for `RESOURCES.split`), shared
   * with the gateways that reassemble them: a Redis store when several processes run. Default:
   * a memory store of this process (`splitTokenStore` below).
   */
  splitTokenStore?: Store;
}

/** A running dev authorization server. */
export interface DevAuthorizationServer {
  /** Issuer identifier, e.g. `http://127.0.0.1:9000` (no trailing slash). */
  readonly issuer: string;
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  /** The dev clients, with their (public) secrets. */
  readonly clients: typeof CLIENTS;
  /** The resource indicators: `jwt` gets JWT access tokens, `opaque` opaque ones. */
  readonly resources: typeof RESOURCES;
  /**
   * Requests received so far at the introspection endpoint (RFC 7662), so that tests and the demo
   * can show what an API's introspection cache saved.
   */
  readonly introspectionRequests: number;
  /** Token-exchange requests (RFC 8693) that reached the grant, issued or refused: what an API's exchange cache saved. */
  readonly tokenExchangeRequests: number;
  /** Tokens issued by token exchange. */
  readonly tokensExchanged: number;
  /** The split-token store (the one given, or this process's memory store). */
  readonly splitTokenStore: Store;
  /** The oidc-provider instance, for anything the above does not cover. */
  readonly provider: Provider;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Starts the dev authorization server on `http://<host>:<port>`; resolves once it listens.
 * The issuer uses the actual port, so `port: 0` gives a fresh, collision-free server per test.
 */
export async function startAuthorizationServer(options: StartOptions = {}): Promise<DevAuthorizationServer> {
  const { port = 0, host = '127.0.0.1', log = false, splitTokenStore = createMemoryStore() } = options;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const actualPort = (server.address() as AddressInfo).port;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  const keys = generateSigningKeys();
  const provider = createProvider(issuer, keys);
  installGatewayPatterns(provider, keys, splitTokenStore);
  const exchanges = installTokenExchange(provider, keys);

  provider.on('server_error', (_ctx, err) => console.error('[dev-as] server error:', err));
  if (log) {
    provider.use(async (ctx, next) => {
      await next();
      console.log(`[dev-as] ${ctx.method} ${ctx.path} ${ctx.status}`);
    });
    const rejected = (event: string) => (_ctx: unknown, err: errors.OIDCProviderError) =>
      console.log(`[dev-as] ${event}: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`);
    provider.on('grant.error', rejected('grant.error'));
    provider.on('introspection.error', rejected('introspection.error'));
    provider.on('revocation.error', rejected('revocation.error'));
  }
  let introspectionRequests = 0;
  server.on('request', (request: { url?: string }) => {
    if (request.url?.split('?')[0] === INTROSPECTION_PATH) introspectionRequests += 1;
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handleInteraction(provider, req, res).then((handled) => {
      if (!handled) callback(req, res);
    }, (error: unknown) => {
      console.error('[dev-as] interaction failed:', error instanceof Error ? error.message : error);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end('interaction failed');
    });
  });

  return {
    issuer,
    port: actualPort,
    clients: CLIENTS,
    resources: RESOURCES,
    provider,
    splitTokenStore,
    get introspectionRequests() {
      return introspectionRequests;
    },
    get tokenExchangeRequests() {
      return exchanges.requests;
    },
    get tokensExchanged() {
      return exchanges.issued;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
