import type { Claims } from '../claims/claims.js';
import { InvalidTokenError } from '../errors/errors.js';
import { checkTokenSyntax } from '../lib/charset.js';
import type { MaybePromise } from '../lib/maybe-promise.js';

/** The formats an {@link AuthContext} reports: `jwt` (verified locally) or `opaque` (introspected). */
export type TokenFormatName = 'jwt' | 'opaque';

/**
 * One token format the pipeline can verify. The guard keeps an ordered list of them; the first
 * whose {@link classify} recognises a token verifies it. A new format (e.g. encrypted JWTs,
 * RFC 7516 JWE) is one more entry in that list: the pipeline does not change.
 */
export interface TokenFormat<Parsed = unknown> {
  readonly name: TokenFormatName;
  /**
   * Syntax only, no I/O: what the format needs later (e.g. the decoded JWS header) when `token`
   * is of this format, `undefined` when it is not. `compact`: the token has the compact JWS shape.
   */
  classify(token: string, compact: boolean): Parsed | undefined;
  /**
   * Verifies the token (signature, issuer, keys, or an introspection call) and returns its claims:
   * at once when no I/O is needed (loaded keys, a cached answer), else a promise of them.
   */
  verify(token: string, parsed: Parsed, compact: boolean): MaybePromise<Claims>;
}

/** What {@link classifyToken} found; `format` undefined when no configured format takes the token. */
export interface ClassifiedToken {
  format: TokenFormat | undefined;
  parsed: unknown;
  compact: boolean;
}

/**
 * Stage 2 of the pipeline: the token's syntax (RFC 6750 §2.1 b64token, 400 otherwise) and its
 * format, the first of `formats` that recognises it.
 */
export function classifyToken(formats: readonly TokenFormat[], token: string): ClassifiedToken {
  const compact = checkTokenSyntax(token);
  for (const format of formats) {
    const parsed = format.classify(token, compact);
    if (parsed !== undefined) return { format, parsed, compact };
  }
  return { format: undefined, parsed: undefined, compact };
}

/**
 * Stage 4: verifies a classified token with its format. A token no configured format takes (an
 * opaque token without introspection) is `invalid_token`, `ERR_TOKEN_FORMAT_UNSUPPORTED`.
 */
export function verifyClassified(token: string, classified: ClassifiedToken): MaybePromise<Claims> {
  const { format } = classified;
  if (format === undefined) {
    throw new InvalidTokenError('Token is not a JWT and introspection is not configured', 'ERR_TOKEN_FORMAT_UNSUPPORTED', { detail: unsupportedDetail(token) });
  }
  return format.verify(token, classified.parsed, classified.compact);
}

// Only the shape of the token is described (its segment count), never its content.
function unsupportedDetail(token: string): string {
  const segments = token.split('.', 6).length;
  if (segments === 5) return 'a five-segment token (JWE) and "encryptedTokens" is not set';
  if (segments === 3) return 'three segments, but the header is not base64url JSON with a string "alg": not a JWS';
  return `a token of ${segments} segment${segments === 1 ? '' : 's'} (opaque?) and "introspection" is not set`;
}
