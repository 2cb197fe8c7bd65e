/**
 * The parent's side of the world: signing keys, a loopback authorization server (JWKS, discovery,
 * a tiny RFC 7662 introspection endpoint that counts its calls), access tokens minted with `jose`
 * (typ `at+jwt`, RFC 9068 claims), tampered variants, and DPoP proofs.
 */
import {
  createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject,
} from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, type JWK } from 'jose';
import { AUDIENCE, CLIENT_ID, INTROSPECTION_CLIENT, SUBJECT, type Alg } from './config.js';

export interface SigningKey {
  alg: Alg;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
}

export async function createSigningKey(alg: Alg): Promise<SigningKey> {
  const pair = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `${alg.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, ...pair, publicJwk };
}

/** The loopback authorization server: JWKS, discovery metadata and introspection. */
export interface AuthServer {
  issuer: string;
  jwksUri: string;
  introspectionEndpoint: string;
  /** Opaque tokens the introspection endpoint calls active, with their response members. */
  activeTokens: Map<string, Record<string, unknown>>;
  /** Introspection calls per token (active or not), and in total. */
  introspectionCalls: Map<string, number>;
  stats: { jwks: number; introspection: number; unauthorized: number };
  close(): Promise<void>;
}

export async function startAuthServer(keys: readonly SigningKey[]): Promise<AuthServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const expectedAuth = `Basic ${Buffer.from(`${INTROSPECTION_CLIENT.clientId}:${INTROSPECTION_CLIENT.clientSecret}`).toString('base64')}`;
  const state: AuthServer = {
    issuer: base,
    jwksUri: `${base}/jwks`,
    introspectionEndpoint: `${base}/introspect`,
    activeTokens: new Map(),
    introspectionCalls: new Map(),
    stats: { jwks: 0, introspection: 0, unauthorized: 0 },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/jwks') {
      state.stats.jwks++;
      json(res, 200, { keys: keys.map((key) => key.publicJwk) });
    } else if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      json(res, 200, { issuer: base, jwks_uri: state.jwksUri, introspection_endpoint: state.introspectionEndpoint });
    } else if (req.method === 'POST' && path === '/introspect') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.headers.authorization !== expectedAuth) {
          state.stats.unauthorized++;
          json(res, 401, { error: 'invalid_client' });
          return;
        }
        const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token') ?? '';
        state.stats.introspection++;
        state.introspectionCalls.set(token, (state.introspectionCalls.get(token) ?? 0) + 1);
        const active = state.activeTokens.get(token);
        json(res, 200, active === undefined ? { active: false } : { active: true, ...active });
      });
    } else {
      json(res, 404, { error: 'not_found' });
    }
  });
  return state;
}

/** RFC 9068 claims for a token of `issuer`, valid for an hour. */
export function accessTokenClaims(issuer: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer, sub: SUBJECT, aud: AUDIENCE, client_id: CLIENT_ID, iat: now, exp: now + 3600,
    jti: randomUUID(), scope: 'orders:read profile', ...extra,
  };
}

/** An RFC 9068 JWT access token (`typ: at+jwt`), signed with `jose`. */
export async function mintAccessToken(key: SigningKey, issuer: string, extra: Record<string, unknown> = {}, typ = 'at+jwt'): Promise<string> {
  return new SignJWT(accessTokenClaims(issuer, extra))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
    .sign(key.privateKey);
}

/** The same token with one claim changed and the original signature kept: must be rejected. */
export function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims.sub = 'admin';
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** A random opaque (non-JWT) access token. */
export function opaqueToken(prefix = 'opq'): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

/** A DPoP key pair (ES256) and the RFC 7638 thumbprint a bound token carries as `cnf.jkt`. */
export interface DpopKey {
  privateKey: KeyObject;
  jwk: { kty: string; crv: string; x: string; y: string };
  jkt: string;
}

export function createDpopKey(): DpopKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { crv, x, y } = publicKey.export({ format: 'jwk' }) as { crv: string; x: string; y: string };
  const jwk = { kty: 'EC', crv, x, y };
  const jkt = createHash('sha256').update(JSON.stringify({ crv, kty: 'EC', x, y })).digest('base64url');
  return { privateKey, jwk, jkt };
}

/**
 * `count` DPoP proofs (RFC 9449 §4.2) for `GET htu` with the token's `ath`, each with its own `jti`.
 * Signed with `node:crypto` (~30 µs each) rather than jose, so that thousands are cheap to make.
 */
export function createDpopProofs(key: DpopKey, htu: string, accessToken: string, count: number): string[] {
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })).toString('base64url');
  const ath = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const proofs: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const payload = Buffer.from(JSON.stringify({ jti: randomUUID(), htm: 'GET', htu, iat, ath })).toString('base64url');
    const input = `${header}.${payload}`;
    const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    proofs[i] = `${input}.${signature.toString('base64url')}`;
  }
  return proofs;
}
