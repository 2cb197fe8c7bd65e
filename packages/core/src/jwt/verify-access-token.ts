import { InvalidTokenError } from '../errors/errors.js';
import { normalizeTyp } from '../jws/jose-rules.js';
import { freezeClaims, type Claims } from '../claims/claims.js';
import type { IssuerLookup } from '../issuer/trusted-issuer.js';
import {
  parseJws, verifySignature, verifySignatureOffloaded, type ParsedJws, type VerificationKey,
} from '../jws/jws.js';
import type { ResolvedOptions } from '../options/guard-options.js';

/** What {@link verifyJwtAccessToken} reads of the guard's options. */
export type JwtSettings = Pick<ResolvedOptions, 'algorithms' | 'allowGenericJwtTyp' | 'secret' | 'offloadSignatures'>;

/**
 * Validates a JWT access token (RFC 9068 §4 with RFC 8725 hardening) and returns its claims.
 *
 * Order: header checks (alg allow-list, `typ`, `crit`), trusted `iss` (before any I/O), key of
 * *that* issuer by `kid` (never from `jku`, `x5u`, `jwk` or `x5c`), signature. The claims
 * (`exp`/`nbf`/`iat`, `aud`, required claims, user validators) are the pipeline's next stage (see
 * `pipeline/validators.ts`); sender binding (`cnf`) and scopes come later still.
 * `compact`: the token already matched the compact JWS shape (`checkTokenSyntax`).
 */
export async function verifyJwtAccessToken(
  token: string,
  header: Readonly<Record<string, unknown>>,
  findIssuer: IssuerLookup,
  options: JwtSettings,
  compact = false,
): Promise<Claims> {
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
  const trusted = findIssuer(claims.iss, claims);
  if (trusted === undefined) throw new InvalidTokenError('Token issuer is not trusted', 'ERR_JWT_ISSUER_UNTRUSTED');

  if (alg.startsWith('HS')) return finish(jws, [{ key: options.secret!, kid: undefined, alg, keyType: 'oct', curve: undefined }]);
  // Loaded keys are used without an `await`: only a fetch (or a refetch for a new kid) waits.
  const keys = trusted.keys.cached(alg, kid) ?? await trusted.keys.select(alg, kid);
  return options.offloadSignatures ? finishOffloaded(jws, keys) : finish(jws, keys);
}

/** The signature by one of the candidate keys; the claims when it holds. */
function finish(jws: ParsedJws, candidates: readonly VerificationKey[]): Claims {
  requireCandidates(candidates);
  if (!candidates.some((key) => verifySignature(jws, key))) throw signatureInvalid();
  return freezeClaims(jws.payload);
}

/** {@link finish} with the signature checked on the thread pool (`offloadSignatures`). */
async function finishOffloaded(jws: ParsedJws, candidates: readonly VerificationKey[]): Promise<Claims> {
  requireCandidates(candidates);
  for (const key of candidates) {
    if (await verifySignatureOffloaded(jws, key)) return freezeClaims(jws.payload);
  }
  throw signatureInvalid();
}

function requireCandidates(candidates: readonly VerificationKey[]): void {
  if (candidates.length === 0) throw new InvalidTokenError('No key of the issuer matches the token', 'ERR_JWKS_NO_MATCHING_KEY');
}

const signatureInvalid = () => new InvalidTokenError('Token signature is invalid', 'ERR_JWS_SIGNATURE_INVALID');

function checkType(typ: unknown, allowGeneric: boolean): void {
  if (typ === undefined && allowGeneric) return;
  // RFC 9068 §2.1 `at+jwt`; `jwt` only for authorization servers predating it.
  const type = normalizeTyp(typ);
  if (type === 'at+jwt' || (allowGeneric && type === 'jwt')) return;
  throw new InvalidTokenError('Token is not a JWT access token (typ)', 'ERR_JWT_TYP_INVALID');
}
