import { createHash, randomUUID, sign as nodeSign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, CompactSign, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { generateTestKeyPair, rawJws } from './issuer.js';

/** The protected resource the hand-built proofs are for (`htu`). */
export const RESOURCE_URL = 'https://api.example.test/orders';

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

/** What a hand-built proof is made of: the key, the token it is for, header and claim overrides. */
export interface ProofSpec {
  key: ClientKey;
  token?: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/** The claims of a correct proof for GET {@link RESOURCE_URL} (overridable; `undefined` deletes). */
export function proofClaims(spec: ProofSpec): Record<string, unknown> {
  return withoutUndefined({
    htm: 'GET', htu: RESOURCE_URL, iat: nowSeconds(), jti: randomUUID(),
    ath: spec.token === undefined ? undefined : ath(spec.token), ...spec.claims,
  });
}

/** A proof hand-built and signed with jose (overridable header and claims). */
export async function joseProof(spec: ProofSpec): Promise<string> {
  const header = withoutUndefined({ typ: 'dpop+jwt', alg: spec.key.alg, jwk: spec.key.publicJwk, ...spec.header });
  return new CompactSign(new TextEncoder().encode(JSON.stringify(proofClaims(spec))))
    .setProtectedHeader(header as { alg: string })
    .sign(spec.key.privateKey);
}

/** A proof signed without jose's header checks (e.g. with `crit`), ES256 in JWS (P1363) form. */
export function rawProof(spec: ProofSpec): string {
  const header = withoutUndefined({ typ: 'dpop+jwt', alg: 'ES256', jwk: spec.key.publicJwk, ...spec.header });
  return rawJws(header, proofClaims(spec), (input) => nodeSign('sha256', input, { key: spec.key.privateKey, dsaEncoding: 'ieee-p1363' }));
}

/** RFC 9449 §7.1, Figure 12/13: the protected-resource request of the RFC. */
export const RFC9449 = {
  token: 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU',
  ath: 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
  proof: 'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19'
    + '.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9'
    + '.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA',
  /** RFC 9449 §6.1: the thumbprint of the example key, as `cnf.jkt`. */
  jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I',
  iat: 1562262618,
  url: 'https://resource.example.org/protectedresource',
};
