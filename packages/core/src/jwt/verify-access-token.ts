import { verifiesSynchronously } from '#crypto-backend';
import { describeType, quoteList, quoteValue } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { normalizeTyp } from '../jws/jose-rules.js';
import { freezeTokenClaims, type Claims } from '../claims/claims.js';
import type { IssuerLookup } from '../issuer/trusted-issuer.js';
import {
  offloadsNow, parseJws, verifySignature, verifySignatureOffloaded, type ParsedJws, type VerificationKey,
} from '../jws/jws.js';
import type { ResolvedOptions } from '../options/guard-options.js';
import type { MaybePromise } from '../lib/maybe-promise.js';
import { describeFapi2KeyRefusal } from '../fapi/fapi-2.js';

/** What {@link verifyJwtAccessToken} reads of the guard's options. */
export type JwtSettings = Pick<
  ResolvedOptions, 'algorithms' | 'allowGenericJwtTyp' | 'secret' | 'secretIssuers' | 'offloadSignatures' | 'profile' | 'requiredClaims' | 'fapi'
>;

/**
 * Validates a JWT access token (RFC 9068 §4 with RFC 8725 hardening) and returns its claims.
 *
 * Order: header checks (alg allow-list, `typ`, `crit`), trusted `iss` (before any I/O), key of
 * *that* issuer by `kid` (never from `jku`, `x5u`, `jwk` or `x5c`), signature. The claims
 * (`exp`/`nbf`/`iat`, `aud`, required claims, user validators) are the pipeline's next stage (see
 * `pipeline/validators.ts`); sender binding (`cnf`) and scopes come later still.
 * `compact`: the token already matched the compact JWS shape (`checkTokenSyntax`).
 *
 * Synchronous when the issuer's keys are loaded and the signature is checked in place (on Node
 * with `offloadSignatures: false`, or `'auto'` while verifications do not overlap): the claims,
 * or a thrown `GuardError`. A promise otherwise (a key fetch, the thread pool, WebCrypto), which
 * rejects with the same errors.
 */
export function verifyJwtAccessToken(
  token: string,
  header: Readonly<Record<string, unknown>>,
  findIssuer: IssuerLookup,
  options: JwtSettings,
  compact = false,
): MaybePromise<Claims> {
  const { alg } = header;
  if (typeof alg !== 'string' || !options.algorithms.has(alg)) {
    throw new InvalidTokenError('Token signing algorithm is not allowed', 'ERR_JWT_ALG_NOT_ALLOWED', {
      detail: `alg ${quoteValue(alg)} is not one of algorithms: ${quoteList(options.algorithms)}`
        + (typeof alg === 'string' && alg.startsWith('HS') && options.secret === undefined ? '; HS* tokens need "secret"' : ''),
    });
  }
  if (!(header.typ === undefined && options.allowGenericJwtTyp)) checkType(header.typ, options);
  // RFC 7515 §4.1.11: we understand no extension header, so any `crit` makes the token unusable.
  if (header.crit !== undefined) {
    throw new InvalidTokenError('Token uses unsupported critical headers', 'ERR_JWT_CRIT_UNSUPPORTED', {
      detail: `crit ${quoteValue(header.crit)} names extensions the guard does not understand (RFC 7515 §4.1.11)`,
    });
  }
  const { kid } = header;
  if (kid !== undefined && typeof kid !== 'string') {
    throw new InvalidTokenError('Token kid is malformed', 'ERR_JWT_MALFORMED', { detail: `header "kid" must be a string, found ${describeType(kid)}` });
  }

  const jws = parseJws(token, header, compact);
  if (jws === undefined) {
    throw new InvalidTokenError('Token is malformed', 'ERR_JWT_MALFORMED', {
      detail: 'the payload is not base64url of a UTF-8 JSON object, or the signature segment is empty or not canonical base64url',
    });
  }
  const claims = jws.payload;
  const trusted = findIssuer(claims.iss, claims);
  if (trusted === undefined) throw issuerUntrusted(claims.iss, findIssuer);

  if (alg.startsWith('HS')) {
    // The secret verifies any payload: only the issuers it belongs to may use it (never another's `iss`).
    if (!options.secretIssuers.has(trusted.issuer)) {
      throw new InvalidTokenError('Token signing algorithm is not allowed', 'ERR_JWT_ALG_NOT_ALLOWED', {
        detail: `alg ${quoteValue(alg)} needs the configured "secret", which belongs to ${quoteList(options.secretIssuers)} (secretIssuer), `
          + `not to issuer ${quoteValue(trusted.issuer)}`,
      });
    }
    const secret: VerificationKey = { key: options.secret!, kid: undefined, alg, keyType: 'oct', curve: undefined };
    // HMAC is checked in place on Node whatever `offloadSignatures` says; WebCrypto has no in-place check.
    return verifiesSynchronously ? finish(jws, secret, undefined) : finishOffloaded(jws, secret, undefined);
  }
  // Loaded keys are used at once: only a fetch (or a refetch for a new kid) waits.
  const loaded = trusted.keys.cached(alg, kid);
  if (loaded !== undefined) return verifyWithKeys(jws, loaded, kid, trusted.issuer, options);
  return trusted.keys.select(alg, kid).then((keys) => verifyWithKeys(jws, keys, kid, trusted.issuer, options));
}

/**
 * The signature by the issuer's one key for the token's `alg` and `kid`. Several candidates (a
 * token without `kid` while the set holds several keys for its `alg`, or a `kid` the set repeats)
 * are refused, not tried in turn: an unauthenticated request costs one signature verification.
 */
function verifyWithKeys(
  jws: ParsedJws, keys: readonly VerificationKey[], kid: string | undefined, issuer: string, options: Pick<JwtSettings, 'offloadSignatures' | 'fapi'>,
): MaybePromise<Claims> {
  if (keys.length === 0) throw noMatchingKey(jws.alg, kid, issuer);
  if (keys.length > 1) throw keyAmbiguous(jws.alg, kid, keys.length, issuer);
  const key = keys[0]!;
  // Before the signature: a key the profile forbids must cost no verification.
  const refusal = options.fapi === undefined ? undefined : describeFapi2KeyRefusal(key);
  if (refusal !== undefined) throw new InvalidTokenError('Token signing key is not allowed', 'ERR_FAPI_KEY_NOT_ALLOWED', { detail: `${keysOf(issuer)}: ${refusal}` });
  return offloadsNow(options.offloadSignatures) ? finishOffloaded(jws, key, issuer) : finish(jws, key, issuer);
}

/**
 * The signature by `key`; the claims when it holds. `issuer` owns the key (`undefined`: the
 * configured secret), for the detail only, which is built only on failure.
 */
function finish(jws: ParsedJws, key: VerificationKey, issuer: string | undefined): Claims {
  if (!verifySignature(jws, key)) throw signatureInvalid(issuer);
  return freezeTokenClaims(jws.payload);
}

/** {@link finish} with the signature checked on the thread pool (`offloadSignatures`). */
async function finishOffloaded(jws: ParsedJws, key: VerificationKey, issuer: string | undefined): Promise<Claims> {
  if (await verifySignatureOffloaded(jws, key)) return freezeTokenClaims(jws.payload);
  throw signatureInvalid(issuer);
}

const keysOf = (issuer: string | undefined): string => (issuer === undefined ? 'the configured "secret"' : `issuer ${quoteValue(issuer)}`);

/**
 * `ERR_JWT_ISSUER_UNTRUSTED` for this `iss`, naming what is trusted and, for a tenant issuer, why
 * its tenant was refused; shared with the verified-cache recheck.
 */
export function issuerUntrusted(iss: unknown, lookup: Pick<IssuerLookup, 'names' | 'explain'>): InvalidTokenError {
  const found = iss === undefined ? 'claim "iss" is absent' : typeof iss === 'string' ? `iss ${quoteValue(iss)}` : `claim "iss" is ${describeType(iss)}`;
  const refusal = lookup.explain(iss);
  return new InvalidTokenError('Token issuer is not trusted', 'ERR_JWT_ISSUER_UNTRUSTED', {
    detail: `${found}${refusal === undefined ? '' : `: ${refusal}`}; trusted (issuer, compared exactly, trailing slash included): ${quoteList(lookup.names)}`,
  });
}

const noMatchingKey = (alg: string, kid: unknown, issuer: string) => new InvalidTokenError('No key of the issuer matches the token', 'ERR_JWKS_NO_MATCHING_KEY', {
  detail: `no key of ${keysOf(issuer)} ${kid === undefined ? '' : `has kid ${quoteValue(kid)} and `}fits alg ${quoteValue(alg)} `
    + '(an unknown kid refetches the JWKS at most once per jwksCooldown)',
});

const keyAmbiguous = (alg: string, kid: unknown, count: number, issuer: string) => new InvalidTokenError('The token does not name one key of the issuer', 'ERR_JWKS_KEY_AMBIGUOUS', {
  detail: `${count} keys of ${keysOf(issuer)} ${kid === undefined ? 'fit' : `have kid ${quoteValue(kid)} and fit`} alg ${quoteValue(alg)}`
    + `${kid === undefined ? ' and the token names no kid' : ''}: a token is verified with one key only (the authorization server must send a kid that names one key)`,
});

const signatureInvalid = (issuer: string | undefined) => new InvalidTokenError('Token signature is invalid', 'ERR_JWS_SIGNATURE_INVALID', {
  detail: `the signature does not verify with ${issuer === undefined ? keysOf(issuer) : `the key of ${keysOf(issuer)} that the token's alg and kid name`}`,
});

function checkType(typ: unknown, options: JwtSettings): void {
  // RFC 9068 §2.1 `at+jwt`; `jwt` only for authorization servers predating it.
  const type = normalizeTyp(typ);
  if (type === 'at+jwt' || (options.allowGenericJwtTyp && type === 'jwt')) return;
  throw new InvalidTokenError('Token is not a JWT access token (typ)', 'ERR_JWT_TYP_INVALID', { detail: typDetail(typ, options) });
}

function typDetail(typ: unknown, { allowGenericJwtTyp, profile, requiredClaims }: JwtSettings): string {
  const found = typ === undefined ? 'no "typ" header' : `typ ${quoteValue(typ)}`;
  // A provider that issues `at+jwt` (Duende): another type is its ID token, not a setting to relax.
  if (!allowGenericJwtTyp && profile.name !== 'rfc9068') {
    return `${found}, expected "at+jwt" as profile "${profile.name}" issues access tokens (an ID token? the API needs the access token)`;
  }
  if (allowGenericJwtTyp) return `${found}: neither "at+jwt" nor "JWT" (allowGenericJwtTyp is on; other types, e.g. ID tokens' or DPoP proofs', stay refused)`;
  // Without `at+jwt`, a required `client_id` (which ID tokens lack) is what keeps ID tokens out:
  // the opt-out is advised only while it is required.
  return `${found}, expected "at+jwt" (RFC 9068 §2.1); if your authorization server issues access tokens as plain JWTs, `
    + (requiredClaims.includes('client_id') ? 'set the "profile" of your provider, or "allowGenericJwtTyp: true"' : 'set the "profile" of your provider');
}
