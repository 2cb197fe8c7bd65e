import type { TestFn } from 'ava';
import {
  createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign as cryptoSign,
  type JsonWebKey, type KeyObject,
} from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, exportJWK, type JWK } from 'jose';
import { isGuardError, type GuardError } from '@resource-guard/core';

/** The audience every test API accepts. */
export const AUDIENCE = 'https://api.example.test';

/** A signing key of the mock issuer. */
export interface IssuerKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

/** How the mock issuer's endpoints behave. */
/**
 * `huge`: a 2 MiB body with its Content-Length; `huge-chunked`: 2.5 MiB chunked, no length declared;
 * `chunked`: the normal answer, sent in several chunks (the reader must join them);
 * `not-utf8`: the normal answer with an invalid UTF-8 byte inside a string member.
 */
export type IssuerMode = 'ok' | 'error500' | 'garbage' | 'html' | 'slow' | 'refuse' | 'not-found' | 'huge' | 'huge-chunked' | 'chunked' | 'not-utf8';

/** A loopback issuer with discovery and JWKS, counting every request it receives. */
export interface MockIssuer {
  issuer: string;
  jwksUri: string;
  /** Requests received, per endpoint. */
  hits: { discovery: number; jwks: number; other: number };
  /** Behaviour of discovery and JWKS; `slow` waits `slowMs` before answering. */
  mode: IssuerMode;
  slowMs: number;
  /** Keys published in the JWKS. */
  published: IssuerKey[];
  /** Extra metadata members (e.g. `introspection_endpoint`). */
  metadata: Record<string, unknown>;
  createKey(alg: string, kid?: string): IssuerKey;
  /** Default RFC 9068 claims for this issuer, with `overrides` applied (`undefined` deletes). */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Signs an access token with `key` (default: the first published key) via jose. */
  sign(overrides?: Record<string, unknown>, options?: { key?: IssuerKey; header?: Record<string, unknown> }): Promise<string>;
  close(): Promise<void>;
}

// Generated straight into JWK form, then imported: exporting a freshly generated KeyObject was
// seen to deadlock Node 20 once (GC finalising the key-generation job during the export).
const JWK_ENCODING = { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as const;

/** A fresh key pair for a JWS algorithm (ES*, EdDSA/Ed25519, otherwise RSA 2048). */
export function generateTestKeyPair(alg: string): { privateKey: KeyObject; publicKey: KeyObject; publicJwk: JWK } {
  let pair: { publicKey: unknown; privateKey: unknown };
  if (alg.startsWith('ES')) {
    const namedCurve = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg]!;
    pair = generateKeyPairSync('ec', { namedCurve, ...JWK_ENCODING });
  } else if (alg === 'EdDSA' || alg === 'Ed25519') {
    pair = generateKeyPairSync('ed25519', JWK_ENCODING);
  } else {
    pair = generateKeyPairSync('rsa', { modulusLength: 2048, ...JWK_ENCODING });
  }
  const publicJwk = pair.publicKey as JWK;
  return {
    privateKey: createPrivateKey({ key: pair.privateKey as JsonWebKey, format: 'jwk' }),
    publicKey: createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }),
    publicJwk,
  };
}

/**
 * Where a mock issuer serves, to mirror a provider: `issuerPath` is appended to the origin to form
 * `iss` exactly (`/` gives Auth0's and Hydra's trailing slash, `/realms/demo` a Keycloak realm);
 * discovery is at `<issuer without trailing slash>/.well-known/openid-configuration`, the key set
 * at `jwksPath`. Default: the bare origin, `/jwks`.
 */
export interface IssuerLayout {
  issuerPath?: string;
  jwksPath?: string;
}

/** Starts a mock issuer on a random loopback port with one published key of `alg`. */
export async function startMockIssuer(alg = 'ES256', layout: IssuerLayout = {}): Promise<MockIssuer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const base = `${origin}${layout.issuerPath ?? ''}`;
  const jwksPath = layout.jwksPath ?? '/jwks';
  const discoveryPath = `${(layout.issuerPath ?? '').replace(/\/$/, '')}/.well-known/openid-configuration`;
  const issuerObject: MockIssuer = {
    issuer: base,
    jwksUri: `${origin}${jwksPath}`,
    hits: { discovery: 0, jwks: 0, other: 0 },
    mode: 'ok',
    slowMs: 2000,
    published: [],
    metadata: {},
    createKey(keyAlg, kid = randomUUID()) {
      const { privateKey, publicKey, publicJwk } = generateTestKeyPair(keyAlg);
      return { kid, alg: keyAlg, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: keyAlg, use: 'sig' } };
    },
    claims(overrides = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: base, sub: 'user-123', client_id: 'client-abc', aud: AUDIENCE, iat: now, exp: now + 300,
        jti: randomUUID(), scope: 'orders:read profile',
        ...overrides,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      return claims;
    },
    async sign(overrides, options = {}) {
      const key = options.key ?? issuerObject.published[0]!;
      const header = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...options.header };
      for (const [name, value] of Object.entries(header)) if (value === undefined) delete (header as Record<string, unknown>)[name];
      return new CompactSign(new TextEncoder().encode(JSON.stringify(issuerObject.claims(overrides))))
        .setProtectedHeader(header as { alg: string })
        .sign(key.privateKey);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  issuerObject.published.push(issuerObject.createKey(alg));

  server.on('request', (req, res) => {
    const path = req.url ?? '/';
    const isDiscovery = path === discoveryPath;
    const isJwks = path === jwksPath;
    if (isDiscovery) issuerObject.hits.discovery += 1;
    else if (isJwks) issuerObject.hits.jwks += 1;
    else issuerObject.hits.other += 1;
    const answer = () => {
      if (!isDiscovery && !isJwks) return res.writeHead(404).end();
      switch (issuerObject.mode) {
        case 'refuse': return req.socket.destroy();
        case 'error500': return res.writeHead(500, { 'content-type': 'application/json' }).end('{}');
        case 'not-found': return res.writeHead(404).end();
        case 'garbage': return res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [tru');
        case 'html': return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        case 'huge': {
          const body = `{"keys": [], "pad": "${'x'.repeat(2 * 1024 * 1024)}"}`;
          return res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body);
        }
        case 'huge-chunked': {
          res.on('error', () => undefined); // the client hangs up once it has read enough
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"keys": [], "pad": "');
          for (let i = 0; i < 40; i += 1) res.write('x'.repeat(64 * 1024));
          return res.end('"}');
        }
        default: break;
      }
      const body = isDiscovery
        ? { issuer: base, jwks_uri: issuerObject.jwksUri, ...issuerObject.metadata }
        : { keys: issuerObject.published.map((key) => key.publicJwk) };
      const json = JSON.stringify(body);
      if (issuerObject.mode === 'not-utf8') {
        const bytes = Buffer.from(JSON.stringify({ ...body, note: 'XX' }));
        bytes[bytes.indexOf('XX')] = 0xff;
        return res.writeHead(200, { 'content-type': 'application/json' }).end(bytes);
      }
      if (issuerObject.mode !== 'chunked') return res.writeHead(200, { 'content-type': 'application/json' }).end(json);
      res.writeHead(200, { 'content-type': 'application/json' });
      const pieces = [json.slice(0, 10), json.slice(10, json.length >> 1), json.slice(json.length >> 1)];
      const writeNext = (index: number): void => {
        if (index === pieces.length) return void res.end();
        res.write(pieces[index]);
        setTimeout(() => writeNext(index + 1), 5).unref();
      };
      writeNext(0);
    };
    if (issuerObject.mode === 'slow') setTimeout(answer, issuerObject.slowMs).unref();
    else answer();
  });
  return issuerObject;
}

/** The token with one character in the middle of its signature changed: same length, a bad signature. */
export function flipSignature(token: string): string {
  const at = token.lastIndexOf('.') + Math.floor((token.length - token.lastIndexOf('.')) / 2);
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

/** base64url of a JSON value. */
/** Runs `run` with a mock issuer of its own, closed afterwards. */
export async function withIssuer(run: (issuer: MockIssuer) => Promise<void>): Promise<void> {
  const issuer = await startMockIssuer();
  try {
    await run(issuer);
  } finally {
    await issuer.close();
  }
}

/**
 * One mock issuer for a whole test file: started in `test.before`, closed in `test.after.always`.
 * The returned object stands for it (reads, writes and method calls go to the running issuer), so
 * the suites that share one issuer need no set-up code of their own.
 */
export function useMockIssuer(suite: { before: TestFn['before']; after: TestFn['after'] }, alg = 'ES256'): MockIssuer {
  let running: MockIssuer | undefined;
  suite.before(async () => {
    running = await startMockIssuer(alg);
  });
  suite.after.always(async () => {
    await running?.close();
  });
  const current = (): MockIssuer => {
    if (running === undefined) throw new Error('the mock issuer is used before test.before ran');
    return running;
  };
  return new Proxy({} as MockIssuer, {
    get: (_target, name) => Reflect.get(current(), name) as unknown,
    set: (_target, name, value) => Reflect.set(current(), name, value),
  });
}

export function encodeSegment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/**
 * Builds a JWS by hand for hostile cases jose refuses to make (alg none, HS256 keyed with a
 * public key, odd headers). `signer` gets the signing input; `none` → empty signature.
 */
export function rawJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: ((input: Buffer) => Buffer) | 'none',
): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const signature = signer === 'none' ? '' : signer(Buffer.from(input)).toString('base64url');
  return `${input}.${signature}`;
}

/** HMAC-SHA256 signer with arbitrary key bytes (e.g. an RSA public key's PEM: the classic confusion attack). */
export function hmacSigner(key: string | Buffer): (input: Buffer) => Buffer {
  return (input) => createHmac('sha256', key).update(input).digest();
}

/** Signer with an ES256 or RS256 issuer key via node:crypto, for hand-built tokens. */
export function keySigner(key: IssuerKey): (input: Buffer) => Buffer {
  if (key.alg === 'ES256') return (input) => cryptoSign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  if (key.alg === 'RS256') return (input) => cryptoSign('sha256', input, key.privateKey);
  throw new Error(`keySigner: ${key.alg} not supported`);
}

/** jose JWK export, re-exported for tests. */
export { exportJWK };

/** A `GET` request to the test API with `token` as Bearer (no `Authorization` without one). */
export function bearerRequest(token?: string): { method: string; url: string; headers: Record<string, string> } {
  return { method: 'GET', url: 'https://api.example.test/orders', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } };
}

/** The `GuardError` that `promise` rejects with; fails when it resolves or rejects with anything else. */
export async function rejectionOf(promise: Promise<unknown>): Promise<GuardError> {
  try {
    await promise;
  } catch (error) {
    if (isGuardError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/**
 * An Ed448 key pair as an {@link IssuerKey} (`alg` EdDSA, which allows it; FAPI 2.0 §5.4.1-1.2
 * does not). jose signs no Ed448: sign with {@link rawJws} and `crypto.sign(null, input, privateKey)`.
 */
export function createEd448Key(kid: string = randomUUID()): IssuerKey {
  const pair = generateKeyPairSync('ed448', { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } } as never) as {
    publicKey: unknown; privateKey: unknown;
  };
  const privateKey = createPrivateKey({ key: pair.privateKey as JsonWebKey, format: 'jwk' });
  return { kid, alg: 'EdDSA', privateKey, publicKey: createPublicKey(privateKey), publicJwk: { ...(pair.publicKey as JWK), kid, alg: 'EdDSA', use: 'sig' } };
}
