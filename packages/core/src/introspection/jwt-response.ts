import type { GuardErrorCode } from '../errors/codes.js';
import { quoteValue } from '../errors/detail.js';
import { UpstreamUnavailableError } from '../errors/errors.js';
import { describeFapi2KeyRefusal } from '../fapi/fapi-2.js';
import { isPlainObject, normalizeTyp } from '../jws/jose-rules.js';
import type { UpstreamResponse } from '../http/upstream.js';
import type { TrustedIssuer } from '../issuer/trusted-issuer.js';
import {
  decodeProtectedHeader, isAsymmetricAlgorithm, offloadsNow, parseJws, verifySignature, verifyWithAnyKey,
} from '../jws/jws.js';
import type { ResolvedOptions } from '../options/guard-options.js';

/** RFC 9701 §4 media type of a JWT introspection response (RFC 7515 §4.1.9: `application/` optional in `typ`). */
export const INTROSPECTION_JWT_MEDIA_TYPE = 'application/token-introspection+jwt';

/** What {@link verifyIntrospectionJwt} needs besides the response. */
export interface IntrospectionJwtSettings {
  /** Our client id: the response JWT's `aud` must contain it (RFC 9701 §5). */
  clientId: string;
  /** Longest accepted age of `iat`, seconds. */
  maxAge: number;
}

// Every failure is the authorization server's answer being unusable, not the caller's token being
// bad: 503 (retry later), never 401, never cached. Distinct codes tell operators which check failed.
function fail(reason: string, code: GuardErrorCode, detail?: string): never {
  throw new UpstreamUnavailableError(`Introspection JWT response rejected: ${reason}`, code, detail === undefined ? {} : { detail });
}

/**
 * Verifies an RFC 9701 JWT introspection response and returns its `token_introspection` member,
 * the only part read: top-level claims besides `iss`/`aud`/`iat`/`exp` are ignored.
 *
 * Checks: content type `application/token-introspection+jwt`; a compact JWS with an asymmetric
 * `alg` from the guard's `algorithms`; `typ` `token-introspection+jwt` (prefix optional, case-
 * insensitive); no `crit`; `iss` a configured issuer, signature by *that* issuer's JWKS key
 * (never `jku`/`jwk`/`x5u` headers, never the HMAC `secret`); `aud` contains our client id; `iat`
 * present, not in the future and at most `maxAge` old (± `clockTolerance`); `exp`, when present,
 * not passed. Under `fapi: '2.0'`, the issuer's keys FAPI 2.0 forbids (EdDSA over Ed448,
 * §5.4.1-1) are not used: an answer only such a key could verify is refused, as an access token is.
 *
 * Any configured issuer may sign: each is trusted to issue access tokens for this resource anyway,
 * so accepting its signature on an introspection answer grants it nothing new. Deliberately not
 * supported: encrypted (JWE) responses, HMAC-signed responses.
 */
export async function verifyIntrospectionJwt(
  response: UpstreamResponse,
  issuers: ReadonlyMap<string, TrustedIssuer>,
  settings: IntrospectionJwtSettings,
  options: Pick<ResolvedOptions, 'algorithms' | 'clock' | 'clockTolerance' | 'offloadSignatures' | 'fapi'>,
): Promise<Record<string, unknown>> {
  // A JSON answer to a JWT request is a downgrade (unsigned): most often the client is not
  // registered for signed responses at the authorization server.
  if (response.contentType.split(';')[0]!.trim().toLowerCase() !== INTROSPECTION_JWT_MEDIA_TYPE) {
    fail('not a JWT response', 'ERR_INTROSPECTION_JWT_EXPECTED');
  }
  const body = response.body.trim();
  const header = decodeProtectedHeader(body);
  const jws = header === undefined ? undefined : parseJws(body, header);
  if (header === undefined || jws === undefined) fail('malformed', 'ERR_INTROSPECTION_JWT_MALFORMED');

  if (!options.algorithms.has(jws.alg) || !isAsymmetricAlgorithm(jws.alg)) fail('algorithm not allowed', 'ERR_INTROSPECTION_JWT_ALG_NOT_ALLOWED');
  const { typ, kid } = header;
  if (normalizeTyp(typ) !== 'token-introspection+jwt') fail('wrong typ', 'ERR_INTROSPECTION_JWT_TYP_INVALID');
  if (header.crit !== undefined) fail('unsupported critical header', 'ERR_INTROSPECTION_JWT_MALFORMED');
  if (kid !== undefined && typeof kid !== 'string') fail('malformed kid', 'ERR_INTROSPECTION_JWT_MALFORMED');

  const claims = jws.payload;
  const issuer = typeof claims.iss === 'string' ? issuers.get(claims.iss) : undefined;
  if (issuer === undefined) fail('untrusted issuer', 'ERR_INTROSPECTION_JWT_ISSUER_INVALID');
  const candidates = await issuer.keys.select(jws.alg, kid);
  // Before the signature, as for an access token: a key the profile forbids verifies nothing.
  const keys = options.fapi === undefined ? candidates : candidates.filter((key) => describeFapi2KeyRefusal(key) === undefined);
  if (keys.length === 0 && candidates.length > 0) {
    fail('signing key not allowed', 'ERR_INTROSPECTION_JWT_KEY_NOT_ALLOWED', `issuer ${quoteValue(claims.iss)}: ${describeFapi2KeyRefusal(candidates[0]!)!}`);
  }
  // In place or on the thread pool as `offloadSignatures` says, like an access token's signature.
  if (!(offloadsNow(options.offloadSignatures) ? await verifyWithAnyKey(jws, keys) : keys.some((key) => verifySignature(jws, key)))) {
    fail('bad signature', 'ERR_INTROSPECTION_JWT_SIGNATURE_INVALID');
  }

  const { aud } = claims;
  const audience = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audience.includes(settings.clientId)) {
    // The response's `aud` is the authorization server's addressing of its answer (RFC 9701 §5),
    // not a secret: show it, so that a server addressing the token's audience instead is recognised.
    fail('not addressed to this client', 'ERR_INTROSPECTION_JWT_AUDIENCE_INVALID', `the response JWT's aud is ${quoteValue(aud)}, `
      + `expected it to contain ${quoteValue(settings.clientId)} ("introspection.clientId", RFC 9701 §5); a server that puts the `
      + 'token\'s own audience there does not follow RFC 9701: set "introspection.jwtResponse" to false for its JSON answers');
  }

  const now = options.clock() / 1000;
  const tolerance = options.clockTolerance;
  const { iat, exp } = claims;
  // `iat` is what makes a captured response unusable for replay later (RFC 9701 §8.2 / §5).
  if (typeof iat !== 'number' || !Number.isFinite(iat) || iat > now + tolerance || iat < now - settings.maxAge - tolerance) {
    fail('missing or stale iat', 'ERR_INTROSPECTION_JWT_STALE');
  }
  if (exp !== undefined && (typeof exp !== 'number' || !(exp > now - tolerance))) fail('expired', 'ERR_INTROSPECTION_JWT_STALE');

  const introspection = claims.token_introspection;
  if (!isPlainObject(introspection)) {
    fail('no token_introspection member', 'ERR_INTROSPECTION_JWT_MALFORMED');
  }
  return introspection as Record<string, unknown>;
}
