/**
 * What the load generator sends to each scenario: the valid request headers (fixed, or a fresh
 * DPoP proof per request from a precomputed pool) and the invalid variants each app must reject.
 */
import type { Alg, TokenKind } from './config.js';
import { createDpopProofs, opaqueToken, tamper, type DpopKey } from './fixtures.js';

export interface Credential {
  /** Headers of one valid request. For DPoP, each call takes the next unused proof. */
  valid(): Record<string, string>;
  /** True when `valid()` differs per request, so autocannon must build each request. */
  rotating: boolean;
  /**
   * The correctness checks, in order, beyond "the valid request gets a 200": mostly requests that
   * must get a 401. Built lazily: a DPoP proof is single-use.
   */
  checks(): Check[];
  /** Makes sure at least `requests` unused proofs are ready (no-op for fixed tokens). */
  prepare(requests: number): void;
  /** Proofs requested beyond the pool (each of those requests is sent with a replayed proof). */
  exhausted(): number;
}

export interface Check {
  name: string;
  headers: Record<string, string>;
  status: number;
}

export interface Tokens {
  ES256: string;
  RS256: string;
  EdDSA: string;
  opaque: string;
  /** An ES256 token bound to `dpopKey` (`cnf.jkt`). */
  dpop: string;
  /** A token of each algorithm bound to `dpopKey`. */
  dpopByAlg: Record<Alg, string>;
  dpopKey: DpopKey;
  /** The same access tokens with `typ: JWT` instead of `at+jwt`, for peers that refuse RFC 9068's type. */
  genericTyp: Record<Alg, string>;
}

function fixed(token: string, invalidToken: string): Credential {
  const headers = { authorization: `Bearer ${token}` };
  return {
    valid: () => headers,
    rotating: false,
    checks: (): Check[] => [
      { name: 'tampered', headers: { authorization: `Bearer ${invalidToken}` }, status: 401 },
      { name: 'no token', headers: {}, status: 401 },
    ],
    prepare: () => undefined,
    exhausted: () => 0,
  };
}

function dpop(tokens: Tokens, url: string, alg: Alg): Credential {
  return dpopWith({ ...tokens, dpop: tokens.dpopByAlg[alg] }, url);
}

function dpopWith(tokens: Tokens, url: string): Credential {
  let pool: string[] = [];
  let next = 0;
  let exhausted = 0;
  const proofs = (token: string, count: number) => createDpopProofs(tokens.dpopKey, url, token, count);
  const credential: Credential = {
    valid() {
      if (next >= pool.length) {
        exhausted++;
        return { authorization: `DPoP ${tokens.dpop}`, dpop: pool[pool.length - 1] ?? '' };
      }
      return { authorization: `DPoP ${tokens.dpop}`, dpop: pool[next++]! };
    },
    rotating: true,
    checks(): Check[] {
      const tampered = tamper(tokens.dpop);
      const replayed = proofs(tokens.dpop, 1)[0]!;
      const bound = { authorization: `DPoP ${tokens.dpop}` };
      return [
        { name: 'tampered', headers: { authorization: `DPoP ${tampered}`, dpop: proofs(tampered, 1)[0]! }, status: 401 },
        { name: 'no token', headers: {}, status: 401 },
        { name: 'bound token as Bearer', headers: { authorization: `Bearer ${tokens.dpop}`, dpop: proofs(tokens.dpop, 1)[0]! }, status: 401 },
        { name: 'no proof', headers: bound, status: 401 },
        { name: 'proof for another token', headers: { ...bound, dpop: proofs(tokens.ES256, 1)[0]! }, status: 401 },
        { name: 'fresh proof', headers: { ...bound, dpop: replayed }, status: 200 },
        { name: 'replayed proof', headers: { ...bound, dpop: replayed }, status: 401 },
      ];
    },
    prepare(requests) {
      // Fresh proofs each time (their iat is checked against proofMaxAge); unused old ones are dropped.
      pool = proofs(tokens.dpop, requests);
      next = 0;
    },
    exhausted: () => exhausted,
  };
  return credential;
}

/** The credential for a scenario's token kind; `url` is the server's URL (the proofs' `htu`). */
export function credentialFor(kind: TokenKind, tokens: Tokens, url: string, alg: Alg = 'ES256', genericTyp = false): Credential {
  switch (kind) {
    case 'ES256':
    case 'RS256':
    case 'EdDSA': {
      const token = genericTyp ? tokens.genericTyp[kind] : tokens[kind];
      return fixed(token, tamper(token));
    }
    case 'opaque': return fixed(tokens.opaque, opaqueToken('unknown'));
    case 'dpop': return dpop(tokens, url, alg);
  }
}
