import { sha256Base64Url } from '../lib/digest.js';
import { LRUCache } from 'lru-cache';
import type { GuardErrorCode } from '../errors/codes.js';
import { describeType, quoteList, quoteValue } from '../errors/detail.js';
import { InvalidDpopProofError } from '../errors/errors.js';
import { hasPrivateMembers, isPlainObject, normalizeTyp } from '../jws/jose-rules.js';
import {
  decodeProtectedHeader, importPublicJwk, isAsymmetricAlgorithm, keyMatchesAlgorithm, offloadsNow, parseJws, verifySignature, verifySignatureOffloaded,
  MAX_PROOF_RSA_BITS, type OffloadSignatures, type ParsedJws, type VerificationKey,
} from '../jws/jws.js';

/**
 * The stateless part of RFC 9449 §4.3: one DPoP proof JWT checked against one request. No I/O,
 * no store, no nonce: those are in `verifier.ts`, `replay-marker.ts` and `nonce.ts`. Every failure is an
 * {@link InvalidDpopProofError} with its own `ERR_DPOP_*` code and a fixed message (never a claim).
 */

/** Longest DPoP proof accepted, in characters. A proof carrying a 4096-bit RSA key is about 1.6 KB. */
export const MAX_PROOF_LENGTH = 8192;

/** Longest accepted proof `jti`, in characters (RFC 9449 §4.2 asks for ≥ 96 bits of randomness). */
export const MAX_JTI_LENGTH = 256;

/** RFC 7638 §3.2 required members per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: ReadonlyMap<string, readonly string[]> = new Map([
  ['RSA', ['e', 'kty', 'n']],
  ['EC', ['crv', 'kty', 'x', 'y']],
  ['OKP', ['crv', 'kty', 'x']],
]);

/**
 * RFC 7638 JWK SHA-256 thumbprint, base64url without padding: the value of `cnf.jkt` (RFC 9449 §6).
 * Only the required members of the key type count (RFC 7638 §3.2), so `kid`, `alg`, `use` do not
 * change it. `undefined` for key types other than RSA, EC and OKP or a missing/non-string member.
 * Does not check that the members form a valid key: the DPoP proof check imports the key for that.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = typeof jwk.kty === 'string' ? THUMBPRINT_MEMBERS.get(jwk.kty) : undefined;
  if (members === undefined) return undefined;
  const canonical: Record<string, string> = {};
  for (const member of members) {
    const value = jwk[member];
    if (typeof value !== 'string') return undefined;
    canonical[member] = value;
  }
  return sha256Base64Url(JSON.stringify(canonical));
}

/** RFC 9449 §4.2 `ath`: base64url (no padding) of SHA-256 over the ASCII access token. */
export function accessTokenHash(token: string): string {
  return sha256Base64Url(token);
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * An http(s) URI normalised for the `htu` comparison (RFC 9449 §4.3 check 9, RFC 3986 §6.2.2-6.2.3):
 * scheme and host lower-cased, default port dropped, empty path → `/`, dot segments removed,
 * percent-encodings upper-cased and decoded where they encode an unreserved character; query and
 * fragment dropped. `undefined` for anything that is not an absolute http(s) URI, or has userinfo.
 */
export function normalizeHttpUri(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path}`;
}

/** What a proof must match. Times in seconds. */
export interface DpopProofExpectations {
  /** The request method, compared case-sensitively with `htm`. */
  method: string;
  /** The absolute request URL (query and fragment are ignored), compared with `htu` after normalisation. */
  url: string;
  /** The access token the proof must cover via `ath`; `undefined` skips `ath` (token-endpoint proofs). */
  accessToken: string | undefined;
  /** Accepted proof algorithms; only asymmetric ones ever pass. */
  algorithms: ReadonlySet<string>;
  /** Current time, seconds since the epoch. */
  now: number;
  /** Longest accepted age of `iat`, in seconds. */
  maxAge: number;
  /** Leeway for `iat` in both directions, in seconds. */
  clockTolerance: number;
  /**
   * Why a proof key that fits its `alg` is still refused (a profile's rule, e.g. FAPI 2.0's
   * Ed25519-only EdDSA), or `undefined` to accept it. Constant per header cache. Default: none.
   */
  keyRefusal?: ((key: VerificationKey) => string | undefined) | undefined;
}

/** A proof that passed {@link verifyDpopProof}. */
export interface DpopProof {
  /** RFC 7638 thumbprint of the proof's `jwk`, to compare with the token's `cnf.jkt`. */
  jkt: string;
  jti: string;
  /** `iat`, seconds since the epoch. */
  iat: number;
  /** The `nonce` claim when it is a string. */
  nonce: string | undefined;
}

function fail(message: string, code: GuardErrorCode, detail?: string): never {
  throw new InvalidDpopProofError(message, code, { detail });
}

/** A proof header that passed every header check, with its imported key and thumbprint. */
interface CheckedHeader {
  header: Readonly<Record<string, unknown>>;
  key: VerificationKey;
  jkt: string;
}

/**
 * Remembers checked proof headers by their exact base64url segment: a client signs every proof
 * with the same key, so its header repeats, and importing a JWK costs more than the signature
 * check itself. Bounded (least recently used evicted). Only headers that passed every check for
 * the verifier's algorithm set are stored, so a hit is exactly as good as re-checking.
 */
export interface ProofHeaderCache {
  get(segment: string): CheckedHeader | undefined;
  set(segment: string, header: CheckedHeader): unknown;
  /** How many headers it holds (bounded by the cache's `max`). */
  readonly size: number;
}
// A structural type, not lru-cache's class: its declarations need @types/node, which a fetch-only
// project does not have.

/** Creates a {@link ProofHeaderCache} of at most `max` headers (default 1024). */
export function createProofHeaderCache(max = 1024): ProofHeaderCache {
  return new LRUCache<string, CheckedHeader>({ max });
}

/** RFC 9449 §4.3 checks 2 (header part), 4-7: `typ`, `alg`, no `crit`, a public `jwk` fitting `alg`. */
function checkHeader(proof: string, { algorithms, keyRefusal }: DpopProofExpectations): CheckedHeader {
  const header = decodeProtectedHeader(proof);
  if (header === undefined) fail('DPoP proof is not a well-formed JWT', 'ERR_DPOP_PROOF_MALFORMED');
  const { typ, alg } = header;
  if (normalizeTyp(typ) !== 'dpop+jwt') {
    fail('DPoP proof has the wrong type (typ)', 'ERR_DPOP_TYP_INVALID', `proof typ ${quoteValue(typ)}, expected "dpop+jwt" (RFC 9449 §4.2)`);
  }
  if (typeof alg !== 'string' || !algorithms.has(alg) || !isAsymmetricAlgorithm(alg)) {
    fail('DPoP proof algorithm is not allowed', 'ERR_DPOP_ALG_NOT_ALLOWED', `proof alg ${quoteValue(alg)} is not one of dpop.algorithms: ${quoteList(algorithms)}`);
  }
  if (header.crit !== undefined) fail('DPoP proof uses unsupported critical headers', 'ERR_DPOP_CRIT_UNSUPPORTED');

  const { jwk } = header;
  if (!isPlainObject(jwk)) fail('DPoP proof has no public key (jwk)', 'ERR_DPOP_JWK_INVALID');
  const members = jwk;
  if (hasPrivateMembers(members)) {
    fail('DPoP proof key contains private key material', 'ERR_DPOP_JWK_PRIVATE', 'the proof\'s jwk has private members (d, p, q, ...): the client leaks its private key');
  }
  const key = importPublicJwk(members, { maxRsaBits: MAX_PROOF_RSA_BITS });
  const jkt = jwkThumbprint(members);
  if (key === undefined || jkt === undefined) fail('DPoP proof key is invalid', 'ERR_DPOP_JWK_INVALID');
  if (!keyMatchesAlgorithm(key, alg)) {
    fail('DPoP proof key does not match its algorithm', 'ERR_DPOP_JWK_ALG_MISMATCH', `the proof's jwk (kty ${quoteValue(members.kty)}) cannot sign alg ${quoteValue(alg)}`);
  }
  const refusal = keyRefusal?.(key);
  if (refusal !== undefined) fail('DPoP proof key does not match its algorithm', 'ERR_DPOP_JWK_ALG_MISMATCH', `the proof's jwk: ${refusal}`);
  return { header: Object.freeze(header), key, jkt };
}

/**
 * Verifies one DPoP proof JWT (RFC 9449 §4.3 checks 2-9, 11, and the resource-server `ath` check
 * of §7.1), in this order: size; a single compact JWS with JSON header and payload; `typ`
 * `dpop+jwt` (media-type comparison: case-insensitive, optional `application/`); `alg` allowed
 * and asymmetric; no `crit`; `jwk` public only; `jwk` a valid key whose type/curve fits `alg`;
 * signature with that `jwk`; `htm`; `htu`; `iat` within [now − maxAge − tolerance, now + tolerance];
 * `jti` a non-empty string of at most {@link MAX_JTI_LENGTH} characters; `ath`.
 * `headers` (optional, per algorithm set) skips the header checks for a header seen before.
 *
 * Deliberately not done here: the one-`DPoP`-header rule, `jti` replay, nonces and the `cnf.jkt`
 * binding (see `createDpopVerifier`), and any check of `exp`/`kid`/`x5c` in the proof (RFC 9449
 * defines none; the key is the embedded `jwk`, never one fetched from elsewhere).
 */
export function verifyDpopProof(proof: string, expected: DpopProofExpectations, headers?: ProofHeaderCache): DpopProof {
  return verifyDpopProofWith(false, proof, expected, headers) as DpopProof;
}

/**
 * {@link verifyDpopProof} with the signature checked on libuv's thread pool (`offloadSignatures`);
 * the order of the checks is the same.
 */
export async function verifyDpopProofOffloaded(proof: string, expected: DpopProofExpectations, headers?: ProofHeaderCache): Promise<DpopProof> {
  return verifyDpopProofWith(true, proof, expected, headers);
}

/**
 * {@link verifyDpopProof} or {@link verifyDpopProofOffloaded}, as `offload` (`offloadSignatures`)
 * decides once the stateless checks before the signature have passed.
 */
export function verifyDpopProofWith(
  offload: OffloadSignatures, proof: string, expected: DpopProofExpectations, headers?: ProofHeaderCache,
): DpopProof | Promise<DpopProof> {
  const { jws, key, jkt } = parseProof(proof, expected, headers);
  if (!offloadsNow(offload)) return checkProofClaims(verifySignature(jws, key), jws.payload, jkt, expected);
  return verifySignatureOffloaded(jws, key).then((valid) => checkProofClaims(valid, jws.payload, jkt, expected));
}

/** Size, then the header checks (remembered in `headers`), then the JWS split. */
function parseProof(proof: string, expected: DpopProofExpectations, headers: ProofHeaderCache | undefined): CheckedHeader & { jws: ParsedJws } {
  if (proof.length > MAX_PROOF_LENGTH) fail('DPoP proof is too long', 'ERR_DPOP_PROOF_TOO_LONG');
  // Any string works as the cache key: only a header that decodes and passes is ever stored, and
  // parseJws below rejects a proof with other than three segments.
  const segment = proof.slice(0, Math.max(proof.indexOf('.'), 0));
  let checked = headers?.get(segment);
  if (checked === undefined) {
    checked = checkHeader(proof, expected);
    headers?.set(segment, checked);
  }
  const jws = parseJws(proof, checked.header);
  if (jws === undefined) fail('DPoP proof is not a well-formed JWT', 'ERR_DPOP_PROOF_MALFORMED');
  return { ...checked, jws };
}

/** The signature's verdict, then `htm`, `htu`, `iat`, `jti` and `ath`. */
function checkProofClaims(signatureValid: boolean, claims: Record<string, unknown>, jkt: string, expected: DpopProofExpectations): DpopProof {
  if (!signatureValid) fail('DPoP proof signature is invalid', 'ERR_DPOP_SIGNATURE_INVALID');
  if (typeof claims.htm !== 'string' || claims.htm !== expected.method) {
    fail('DPoP proof does not match the request method (htm)', 'ERR_DPOP_HTM_MISMATCH', `proof htm ${quoteValue(claims.htm, 16)}, request method ${quoteValue(expected.method, 16)}`);
  }
  const htu = typeof claims.htu === 'string' ? normalizeHttpUri(claims.htu) : undefined;
  if (htu === undefined || htu !== normalizeHttpUri(expected.url)) {
    fail('DPoP proof does not match the request URL (htu)', 'ERR_DPOP_HTU_MISMATCH', `proof htu ${quoteValue(claims.htu)}, request URL ${quoteValue(normalizeHttpUri(expected.url))}`
      + ' (behind a proxy that changes the origin, set "dpop.baseUrl")');
  }
  const { iat } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('DPoP proof has no valid issue time (iat)', 'ERR_DPOP_IAT_INVALID', `proof iat is ${describeType(iat)}, not a number`);
  const age = Math.round(expected.now - iat);
  if (expected.now - iat > expected.maxAge + expected.clockTolerance) {
    fail('DPoP proof is too old (iat)', 'ERR_DPOP_IAT_EXPIRED', `proof iat is ${age} s old; dpop.proofMaxAge ${expected.maxAge} s + clockTolerance ${expected.clockTolerance} s`);
  }
  if (iat - expected.now > expected.clockTolerance) {
    fail('DPoP proof is issued in the future (iat)', 'ERR_DPOP_IAT_FUTURE', `proof iat is ${-age} s ahead of now, beyond clockTolerance ${expected.clockTolerance} s (client clock?)`);
  }
  const { jti } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    fail('DPoP proof has no valid identifier (jti)', 'ERR_DPOP_JTI_INVALID', `proof jti must be a string of 1 to ${MAX_JTI_LENGTH} characters, found ${describeType(jti)}`);
  }
  if (expected.accessToken !== undefined) {
    if (claims.ath === undefined) fail('DPoP proof does not cover the access token (no ath)', 'ERR_DPOP_ATH_MISSING');
    if (claims.ath !== accessTokenHash(expected.accessToken)) {
      fail('DPoP proof is for another access token (ath)', 'ERR_DPOP_ATH_MISMATCH', 'proof ath is not the SHA-256 of the access token sent with it (RFC 9449 §4.2)');
    }
  }
  return { jkt, jti, iat, nonce: typeof claims.nonce === 'string' ? claims.nonce : undefined };
}
