import { InvalidTokenError } from '../errors/errors.js';
import {
  checkAudience, checkClaimTypes, checkRequiredClaims, checkTimeClaims, readAudience, type Claims,
} from '../claims/claims.js';
import type { TrustedIssuer } from '../issuer/trusted-issuer.js';
import {
  parseJws, verifySignature, verifySignatureOffloaded, type ParsedJws, type VerificationKey,
} from '../jws/jws.js';
import type { ResolvedOptions } from '../options/guard-options.js';

/** Media types accepted in `typ` (RFC 9068 §2.1; the `application/` prefix is optional, RFC 7515 §4.1.9). */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const GENERIC_TYPES = new Set(['jwt', 'application/jwt']);

/**
 * Validates a JWT access token (RFC 9068 §4 with RFC 8725 hardening) and returns its claims.
 *
 * Order: header checks (alg allow-list, `typ`, `crit`), trusted `iss` (before any I/O), key of
 * *that* issuer by `kid` (never from `jku`, `x5u`, `jwk` or `x5c`), signature, then `exp`/`nbf`/`iat`,
 * `aud` and required claims. Deliberately not checked here: sender binding (`cnf`), scopes.
 * `compact`: the token already matched the compact JWS shape (`checkTokenSyntax`).
 */
export function verifyJwtAccessToken(
  token: string,
  header: Readonly<Record<string, unknown>>,
  issuers: ReadonlyMap<string, TrustedIssuer>,
  options: ResolvedOptions,
  compact = false,
): Claims | Promise<Claims> {
  const { alg } = header;
  if (typeof alg !== 'string' || !options.algorithms.has(alg)) {
    throw new InvalidTokenError('Token signing algorithm is not allowed', 'ERR_JWT_ALG_NOT_ALLOWED');
  }
  checkType(header.typ, options.allowGenericJwtTyp);
  // RFC 7515 §4.1.11: we understand no extension header, so any `crit` makes the token unusable.
  if (header.crit !== undefined) throw new InvalidTokenError('Token uses unsupported critical headers', 'ERR_JWT_CRIT_UNSUPPORTED');
  const { kid } = header;
  if (kid !== undefined && typeof kid !== 'string') throw new InvalidTokenError('Token kid is malformed', 'ERR_JWT_MALFORMED');

  const jws = parseJws(token, header, compact);
  if (jws === undefined) throw new InvalidTokenError('Token is malformed', 'ERR_JWT_MALFORMED');
  const claims = jws.payload;
  const trusted = typeof claims.iss === 'string' ? issuers.get(claims.iss) : undefined;
  if (trusted === undefined) throw new InvalidTokenError('Token issuer is not trusted', 'ERR_JWT_ISSUER_UNTRUSTED');

  if (alg.startsWith('HS')) return finish(jws, [{ key: options.secret!, kid: undefined, alg, keyType: 'oct', curve: undefined }], options);
  const complete = options.offloadSignatures ? finishOffloaded : finish;
  // Synchronous when the issuer's keys are loaded (and nothing is offloaded): no promise, no
  // microtask on the hot path.
  const cached = trusted.keys.cached(alg, kid);
  if (cached !== undefined) return complete(jws, cached, options);
  return trusted.keys.select(alg, kid).then((keys) => complete(jws, keys, options));
}

/** Signature, then time, audience and required claims. */
function finish(jws: ParsedJws, candidates: readonly VerificationKey[], options: ResolvedOptions): Claims {
  requireCandidates(candidates);
  if (!candidates.some((key) => verifySignature(jws, key))) throw signatureInvalid();
  return checkClaims(jws, options);
}

/** {@link finish} with the signature checked on the thread pool (`offloadSignatures`). */
async function finishOffloaded(jws: ParsedJws, candidates: readonly VerificationKey[], options: ResolvedOptions): Promise<Claims> {
  requireCandidates(candidates);
  for (const key of candidates) {
    if (await verifySignatureOffloaded(jws, key)) return checkClaims(jws, options);
  }
  throw signatureInvalid();
}

function requireCandidates(candidates: readonly VerificationKey[]): void {
  if (candidates.length === 0) throw new InvalidTokenError('No key of the issuer matches the token', 'ERR_JWKS_NO_MATCHING_KEY');
}

const signatureInvalid = () => new InvalidTokenError('Token signature is invalid', 'ERR_JWS_SIGNATURE_INVALID');

function checkClaims(jws: ParsedJws, options: ResolvedOptions): Claims {
  const claims = jws.payload;
  checkClaimTypes(claims);
  checkTimeClaims(claims, options.clock() / 1000, options.clockTolerance, true);
  const audience = readAudience(claims);
  if (audience === undefined) throw new InvalidTokenError('Token has no audience', 'ERR_TOKEN_CLAIM_MISSING');
  checkAudience(audience, options.audiences);
  checkRequiredClaims(claims, options.requiredClaims);
  return claims;
}

function checkType(typ: unknown, allowGeneric: boolean): void {
  if (typ === undefined && allowGeneric) return;
  if (typeof typ === 'string') {
    const type = typ.toLowerCase();
    if (ACCESS_TOKEN_TYPES.has(type) || (allowGeneric && GENERIC_TYPES.has(type))) return;
  }
  throw new InvalidTokenError('Token is not a JWT access token (typ)', 'ERR_JWT_TYP_INVALID');
}
