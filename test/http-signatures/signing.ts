/** Helpers for the HTTP message signature tests: requests, keys, and hand-made signatures. */
import { createHash, generateKeyPairSync, sign, type KeyObject, type JsonWebKey } from 'node:crypto';
import {
  createSignatureBase, parseMessageSignatures, type SignedRequest,
} from '@resource-guard/http-signatures';

/** A fresh key pair as JWKs (P-256 unless told), with a `kid`. */
export function keyPair(kind: 'ES256' | 'EdDSA' | 'PS256' | 'RS256-1024' = 'ES256', kid = 'client-key-1'): { privateJwk: JsonWebKey; publicJwk: JsonWebKey; privateKey: KeyObject } {
  const pair = kind === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : kind === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('rsa', { modulusLength: kind === 'PS256' ? 2048 : 1024 });
  return {
    privateJwk: { ...pair.privateKey.export({ format: 'jwk' }), kid },
    publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), kid },
    privateKey: pair.privateKey,
  };
}

export const TARGET = 'https://api.example.test/payments?currency=EUR';
export const BODY = new TextEncoder().encode('{"amount": "10.00"}');

/** A POST with a bearer token and a JSON body, unsigned. */
export function paymentRequest(overrides: Partial<SignedRequest> = {}): SignedRequest {
  return {
    method: 'POST',
    url: TARGET,
    headers: { authorization: 'Bearer token-value', 'content-type': 'application/json' },
    body: BODY,
    ...overrides,
  };
}

/** `request` with `fields` added to its headers. */
export function withFields(request: SignedRequest, fields: Readonly<Record<string, string | undefined>>): SignedRequest {
  const headers: Record<string, string | readonly string[] | undefined> = { ...request.headers };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) headers[name] = value;
  return { ...request, headers };
}

/**
 * Signs `request` by hand over the Signature-Input member `input` (e.g.
 * `sig1=("@method");created=1;tag="fapi-2-request"`) with `privateKey` (ES256 or EdDSA): for
 * signatures the package's own signer would never make. A body gets its `Content-Digest` first.
 */
export function signByHand(unsigned: SignedRequest, input: string, privateKey: KeyObject): SignedRequest {
  const request = unsigned.body === undefined || unsigned.headers['content-digest'] !== undefined
    ? unsigned
    : withFields(unsigned, { 'content-digest': `sha-256=:${createHash('sha256').update(unsigned.body).digest('base64')}:` });
  const [entry] = parseMessageSignatures({ 'signature-input': input, signature: `${input.split('=')[0]}=:AA==:` });
  const base = createSignatureBase(entry!.input, { request });
  const algorithm = privateKey.asymmetricKeyType === 'ec' ? 'sha256' : null;
  const signature = sign(algorithm, Buffer.from(base), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
  return withFields(request, { 'signature-input': input, signature: `${entry!.label}=:${signature}:` });
}

/** Now, in epoch seconds. */
export const now = (): number => Math.floor(Date.now() / 1000);
