import type { Claims } from '../claims/claims.js';
import type { DpopProof } from '../dpop/proof.js';
import { InvalidTokenError, MissingCredentialsError, isGuardError, type GuardError } from '../errors/errors.js';
import type { Guard } from '../guard.js';
import type { GuardRequest } from '../http/request.js';
import type { TokenLocation } from '../options/guard-options.js';
import type { SenderConstraint } from './bind.js';
import { createAuthContext, type AuthContext } from './context.js';
import { extractCredentials } from './extract.js';
import { classifyToken, verifyClassified, type TokenFormat, type TokenFormatName } from './formats.js';
import type { ClaimValidators } from './validators.js';
import type { VerifiedTokenCache } from './verified-cache.js';

/** What {@link Guard.authenticate} returns. */
export interface AuthenticateResult {
  /** The verified context; `undefined` only for `optional` requests without credentials. */
  auth: AuthContext | undefined;
  /**
   * Headers for the eventual *successful* response: `Cache-Control: private` for query tokens
   * (RFC 6750 §2.3), `DPoP-Nonce` when a nonce rotates. Adapters set them.
   */
  headers: Record<string, string>;
}

/** The parts of one guard the pipeline runs through; built once by `createGuard`. */
export interface PipelineParts {
  tokenLocations: ReadonlySet<TokenLocation>;
  maxTokenLength: number;
  /** Token formats in the order they are tried (see `formats.ts`). */
  formats: readonly TokenFormat[];
  validators: ClaimValidators;
  constraint: SenderConstraint;
  verifiedCache: VerifiedTokenCache | undefined;
  /** `iss` of contexts whose claims name none (introspection answers, when one issuer is trusted). */
  soleIssuer: string | undefined;
  /** Renders a rejection's challenge for the scheme the request used. */
  reject(error: GuardError, scheme: 'Bearer' | 'DPoP' | undefined): GuardError;
}

const NO_CREDENTIALS: AuthenticateResult = Object.freeze({ auth: undefined, headers: Object.freeze({}) as Record<string, string> });

/**
 * The request pipeline (DESIGN.md "The pipeline"): extract → classify → DPoP proof precheck →
 * verify → validate claims → bind → context, cheap checks before any network I/O. Every stage
 * throws a `GuardError`; the one `catch` renders it for the scheme the request used.
 *
 * Plain `async`: a stage awaits only when it has I/O to wait for (a key fetch, introspection, a
 * DPoP replay store, a custom certificate source), so an unbound Bearer JWT with loaded keys
 * costs one promise; a verified-token cache hit skips classify and verify altogether.
 */
export function createPipeline(parts: PipelineParts, guard: Guard): (request: GuardRequest, optional: boolean) => Promise<AuthenticateResult> {
  const { tokenLocations, maxTokenLength, formats, validators, constraint, verifiedCache, soleIssuer, reject } = parts;
  const dpopEnabled = constraint.dpopAlgorithms !== undefined;
  // Built once: an unauthenticated request is common and must stay cheap.
  const missingDetail = `no access token in ${[...tokenLocations].join(', ')} (tokenLocations); Authorization schemes read: Bearer${dpopEnabled ? ', DPoP' : ''}`;

  return async function authenticate(request: GuardRequest, optional: boolean): Promise<AuthenticateResult> {
    let scheme: 'Bearer' | 'DPoP' | undefined;
    try {
      // 1. extract (RFC 6750 §2)
      const credentials = extractCredentials(request, tokenLocations, dpopEnabled);
      if (credentials === undefined) {
        if (optional) return NO_CREDENTIALS;
        throw new MissingCredentialsError(undefined, { detail: missingDetail });
      }
      const { token } = credentials;
      scheme = credentials.scheme;
      if (token.length > maxTokenLength) {
        throw new InvalidTokenError('Token is too long', 'ERR_TOKEN_TOO_LONG', { detail: `${token.length} characters, more than maxTokenLength ${maxTokenLength}` });
      }
      // A hit is a JWT that passed every check before: no syntax scan, no parse, no signature.
      const cached = verifiedCache?.get(token);

      // 2. classify
      const classified = cached === undefined ? classifyToken(formats, token) : undefined;

      // 3. DPoP proof precheck: a bad proof must cost no JWKS fetch and no introspection call.
      const proof: DpopProof | undefined = scheme === 'DPoP' ? await constraint.precheck(request, credentials) : undefined;

      // 4. verify, 5. validate claims
      let claims: Claims;
      let format: TokenFormatName;
      if (cached !== undefined) {
        claims = cached;
        format = 'jwt';
        validators.recheck(claims, format);
      } else {
        claims = await verifyClassified(token, classified!);
        format = classified!.format!.name;
        validators.check(claims, format);
        if (verifiedCache !== undefined && format === 'jwt') verifiedCache.set(token, claims);
      }

      // 6. bind (RFC 9449, RFC 8705)
      const headers = constraint.isBound(credentials, claims) ? await constraint.check(request, credentials, claims, proof) : {};
      if (credentials.location === 'query') headers['Cache-Control'] = 'private';

      // 7. context
      return { auth: createAuthContext(token, scheme, format, claims, soleIssuer, guard), headers };
    } catch (error) {
      throw isGuardError(error) ? reject(error, scheme) : error;
    }
  };
}
