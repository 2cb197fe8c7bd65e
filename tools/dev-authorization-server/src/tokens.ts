/**
 * Tokens of every kind the demo uses, from a running dev authorization server, for trying an API
 * by hand: a JWT with the scopes asked for, an opaque token (introspected by the API), a
 * DPoP-bound token with a proof for one request. What `npm run dev-token` prints. DEVELOPMENT ONLY.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { CLIENTS, RESOURCES } from './config.js';

/** The kinds of token {@link getDevToken} gets. */
export type DevTokenKind = 'jwt' | 'opaque' | 'dpop';

/** Options of {@link getDevToken}. */
export interface DevTokenOptions {
  /** The dev authorization server, e.g. `http://127.0.0.1:9000`. */
  issuer: string;
  kind: DevTokenKind;
  /** Space-separated scopes. Default `orders:read`. */
  scope?: string;
  /** A client of the dev AS (`demo-client`, `limited-client`, ...). Default `demo-client`. */
  client?: string;
  /** `dpop`: the API request the proof is for (RFC 9449 §4.2 `htm` and `htu`). Default `GET http://127.0.0.1:3000/orders`. */
  method?: string;
  url?: string;
}

/** A token, how to send it, and a curl command that does. */
export interface DevToken {
  accessToken: string;
  /** `Bearer`, or `DPoP` with {@link proof}. */
  scheme: 'Bearer' | 'DPoP';
  /** `dpop`: the proof for exactly one request (`method` `url`); a second use is a replay. */
  proof?: string;
  expiresIn: number;
  curl: string;
}

async function proofFor(key: { privateKey: CryptoKey; jwk: JWK }, method: string, url: string, accessToken?: string): Promise<string> {
  const ath = accessToken === undefined ? {} : { ath: createHash('sha256').update(accessToken).digest('base64url') };
  return new SignJWT({ htm: method, htu: url, jti: randomUUID(), ...ath })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

/** Asks the dev AS's token endpoint (client credentials) for a token of `kind`; throws with the AS's answer on failure. */
export async function getDevToken(options: DevTokenOptions): Promise<DevToken> {
  const client = Object.values(CLIENTS).find((candidate) => candidate.clientId === (options.client ?? 'demo-client'));
  if (client === undefined) throw new Error(`unknown client "${options.client}" (known: ${Object.values(CLIENTS).map((c) => c.clientId).join(', ')})`);
  const method = (options.method ?? 'GET').toUpperCase();
  const url = options.url ?? 'http://127.0.0.1:3000/orders';
  const tokenEndpoint = `${options.issuer.replace(/\/$/, '')}/token`;
  const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` };
  let key: { privateKey: CryptoKey; jwk: JWK } | undefined;
  if (options.kind === 'dpop') {
    const pair = await generateKeyPair('ES256');
    key = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
    headers.dpop = await proofFor(key, 'POST', tokenEndpoint);
  }
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers,
    body: new URLSearchParams({
      grant_type: 'client_credentials', scope: options.scope ?? 'orders:read', resource: options.kind === 'opaque' ? RESOURCES.opaque : RESOURCES.jwt,
    }),
  });
  const body = await response.json() as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (response.status !== 200 || body.access_token === undefined) {
    throw new Error(`the token endpoint answered ${response.status}: ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
  }
  const accessToken = body.access_token;
  if (key === undefined) {
    return { accessToken, scheme: 'Bearer', expiresIn: body.expires_in ?? 0, curl: `curl -i -H "Authorization: Bearer ${accessToken}" ${url}` };
  }
  const proof = await proofFor(key, method, url, accessToken);
  return {
    accessToken, scheme: 'DPoP', proof, expiresIn: body.expires_in ?? 0,
    curl: `curl -i -X ${method} -H "Authorization: DPoP ${accessToken}" -H "DPoP: ${proof}" ${url}`,
  };
}
