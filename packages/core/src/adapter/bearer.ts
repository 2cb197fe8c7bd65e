import { InvalidTokenError, type GuardError } from '../errors/errors.js';
import { attachChallenge, type ChallengeSettings } from '../http/challenge.js';
import type { GuardRequest } from '../http/request.js';
import { checkTokenSyntax } from '../lib/charset.js';
import { extractCredentials } from '../pipeline/extract.js';

const HEADER_ONLY: ReadonlySet<'header'> = new Set(['header']);

/**
 * The bearer token of `Authorization: Bearer <token>`, by the guard's own rules (RFC 6750 §2.1:
 * scheme case-insensitive, one or more spaces, a `b64token`), for callers that read a token
 * outside a guard (the gateway). `undefined` when there is none, or only another scheme. Throws:
 * two `Authorization` fields, no token after the scheme, characters outside `b64token` → 400
 * `invalid_request`; longer than `maxTokenLength` characters → 401 `ERR_TOKEN_TOO_LONG`. Not
 * checked: anything about the token's content. The error carries no challenge yet: see
 * {@link attachBearerChallenge}.
 */
export function readBearerToken(request: Pick<GuardRequest, 'headers' | 'rawHeaders'>, maxTokenLength: number): string | undefined {
  const credentials = extractCredentials(request as GuardRequest, HEADER_ONLY, false);
  if (credentials === undefined) return undefined;
  const { token } = credentials;
  if (token.length > maxTokenLength) {
    throw new InvalidTokenError('Token is too long', 'ERR_TOKEN_TOO_LONG', { detail: `${token.length} characters, more than maxTokenLength ${maxTokenLength}` });
  }
  checkTokenSyntax(token);
  return token;
}

/**
 * `error` rendered as the guard renders a rejection of a Bearer-only resource: a copy with the
 * RFC 6750 §3 `WWW-Authenticate: Bearer realm="…"` challenge (with `error` and
 * `error_description` when the error has them) for 400, 401 and 403; other errors as they are.
 */
export function attachBearerChallenge<E extends GuardError>(error: E, realm: string): E {
  const settings: ChallengeSettings = { realm, bearer: true, dpopAlgorithms: undefined };
  return attachChallenge(error, settings, 'Bearer') as E;
}
