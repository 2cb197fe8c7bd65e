import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import { sha256Base64Url } from '../lib/digest.js';
import type { SigningKey } from '../jws/signing-key.js';

/** What {@link DpopProver.createProof} signs a proof for (RFC 9449 §4.2). */
export interface DpopProofInput {
  /** The HTTP method of the request, e.g. `GET`. */
  method: string;
  /** The request URL; `htu` is it without query and fragment. */
  url: string | URL;
  /** The access token the request carries: its hash is the proof's `ath`. Omit for the token endpoint. */
  accessToken?: string;
  /** A `DPoP-Nonce` the server asked for. */
  nonce?: string;
}

/** Signs DPoP proofs with one key pair: the exchanged tokens' holder key. */
export interface DpopProver {
  /** The key's RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to it. */
  thumbprint(): Promise<string>;
  /** A fresh proof JWT (`typ: dpop+jwt`, the public `jwk` in the header, random `jti`, `iat` now). */
  createProof(input: DpopProofInput): Promise<string>;
  /** The last `DPoP-Nonce` a server at `origin` gave (RFC 9449 §8), for the next proof to it. */
  nonceFor(origin: string): string | undefined;
  /** Keeps the nonce a server at `origin` sent (one per origin: the token endpoints are few and configured). */
  rememberNonce(origin: string, nonce: string): void;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A {@link DpopProver} for a validated signing key; `clock` in epoch milliseconds. */
export function createDpopProver(key: SigningKey, clock: () => number): DpopProver {
  let publicJwk: Promise<JWK> | undefined;
  const jwk = () => {
    publicJwk ??= exportJWK(key.key).then((exported) => {
      const material = { ...exported };
      for (const member of PRIVATE_MEMBERS) delete material[member as keyof JWK];
      return material;
    });
    return publicJwk;
  };
  const nonces = new Map<string, string>();
  return {
    nonceFor: (origin) => nonces.get(origin),
    rememberNonce: (origin, nonce) => void nonces.set(origin, nonce),
    thumbprint: async () => calculateJwkThumbprint(await jwk()),
    async createProof({ method, url, accessToken, nonce }) {
      const target = new URL(url);
      const claims: Record<string, string> = { jti: crypto.randomUUID(), htm: method.toUpperCase(), htu: `${target.origin}${target.pathname}` };
      if (accessToken !== undefined) claims.ath = sha256Base64Url(accessToken);
      if (nonce !== undefined) claims.nonce = nonce;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: await jwk() })
        .setIssuedAt(Math.floor(clock() / 1000))
        .sign(key.key);
    },
  };
}
