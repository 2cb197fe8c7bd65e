import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { generateTestKeyPair } from './issuer.js';

/** A client's DPoP key: node KeyObject, public JWK and its (jose-computed) RFC 7638 thumbprint. */
export interface ClientKey {
  alg: string;
  privateKey: KeyObject;
  publicJwk: JWK;
  jkt: string;
}

/** A fresh DPoP client key for `alg`. */
export async function clientKey(alg = 'ES256'): Promise<ClientKey> {
  const { privateKey, publicJwk } = generateTestKeyPair(alg);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** RFC 9449 §4.2 `ath`: base64url SHA-256 of the access token. */
export const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** Now, in seconds since the epoch. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A copy of `value` without its `undefined` members (so a case can delete a claim or header). */
export function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}

/** A DPoP proof (RFC 9449 §4.2) for `token` at `htu`, signed by `key` with jose. */
export async function signProof(key: ClientKey, token: string, htu: string, htm = 'GET'): Promise<string> {
  const claims = { htm, htu, iat: nowSeconds(), jti: randomUUID(), ath: ath(token) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}

/** An oauth4webapi DPoP handle (the real client library) with a fresh key, and its thumbprint. */
export async function clientHandle(alg = 'ES256'): Promise<{ handle: oauth.DPoPHandle; jkt: string }> {
  const handle = oauth.DPoP({}, await oauth.generateKeyPair(alg, { extractable: true }));
  return { handle, jkt: await handle.calculateThumbprint() };
}

/** A proof made by oauth4webapi for `token` at `url` (captured from its request, never sent). */
export async function clientProof(handle: oauth.DPoPHandle, token: string, url: string, method = 'GET'): Promise<string> {
  let proof: string | null = null;
  await oauth.protectedResourceRequest(token, method, new URL(url), new Headers(), null, {
    DPoP: handle,
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: async (_url, init) => {
      proof = new Headers(init.headers).get('dpop');
      return new Response(null, { status: 204 });
    },
  });
  if (proof === null) throw new Error('oauth4webapi sent no proof');
  return proof;
}
