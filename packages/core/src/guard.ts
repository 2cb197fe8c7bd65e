import { createChallengeAttacher, type ChallengeSettings } from './http/challenge.js';
import { checkTokenSyntax } from './lib/charset.js';
import type { Claims } from './claims/claims.js';
import { createAuthContext, type AuthContext } from './pipeline/context.js';
import type {
  GuardError} from './errors/errors.js';
import { InvalidTokenError, MissingCredentialsError, isGuardError,
} from './errors/errors.js';
import { extractCredentials, type Credentials } from './pipeline/extract.js';
import { TrustedIssuer } from './issuer/trusted-issuer.js';
import { createHeaderDecoder } from './jws/jws.js';
import { verifyJwtAccessToken } from './jwt/verify-access-token.js';
import { resolveOptions, type GuardOptions, type ResolvedOptions } from './options/guard-options.js';
import type { GuardRequest } from './http/request.js';
import type { Requirement } from './requirements/requirements.js';
import { createSenderConstraint, type SenderConstraint } from './pipeline/bind.js';
import type { DpopProof } from './dpop/verifier.js';
import { createIntrospector, type Introspector } from './introspection/introspector.js';
import { VerifiedTokenCache } from './pipeline/verified-cache.js';

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

/** Options of {@link Guard.authenticate}. */
export interface AuthenticateOptions {
  /** Let requests without any credentials through with `auth: undefined`. Bad credentials still fail. */
  optional?: boolean;
}

/** The verification pipeline created by {@link createGuard}. */
export interface Guard {
  /**
   * Verifies the request's access token and returns who it belongs to. **Contract.**
   * Throws a {@link GuardError} with `status`, `code` and rendered `headers` on every rejection.
   */
  verify(request: GuardRequest): Promise<AuthContext>;
  /** Like `verify`, plus headers for the successful response and the `optional` mode; used by adapters. */
  authenticate(request: GuardRequest, options?: AuthenticateOptions): Promise<AuthenticateResult>;
  /**
   * Like `authenticate`, but returns the result itself (and throws synchronously) when no I/O
   * was needed — keys cached, cache hits — and a promise otherwise. Adapters use it to save a
   * microtask turn per request; everything else should use `authenticate`.
   */
  authenticateFast(request: GuardRequest, options?: AuthenticateOptions): AuthenticateResult | Promise<AuthenticateResult>;
  /**
   * Checks a per-route requirement (scopes, claims, step-up) against a verified context, and
   * throws the rendered rejection. `auth` undefined (an optional route without credentials) → 401.
   */
  authorize(auth: AuthContext | undefined, requirement: Requirement): void;
  /** Renders a challenge onto any `GuardError` thrown outside the pipeline (e.g. by a custom check). */
  reject(error: GuardError, scheme?: 'Bearer' | 'DPoP'): GuardError;
}

/**
 * Creates the verification pipeline. Options are validated here, once: a bad option throws a
 * `TypeError` naming it. Discovery and JWKS are fetched lazily on the first token that needs them.
 *
 * Pipeline (cheap checks before any network I/O): extract (RFC 6750 §2) → classify (JWT or
 * opaque) → JWT validation (RFC 9068) or introspection (RFC 7662) → sender constraint
 * (RFC 9449 / RFC 8705) → {@link AuthContext}. Route requirements run later, per route.
 */
export function createGuard(options: GuardOptions): Guard {
  const resolved = resolveOptions(options);
  const issuers = new Map(resolved.issuers.map((issuer) => [issuer, new TrustedIssuer(issuer, resolved)] as const));
  const introspector = createIntrospector(resolved, issuers);
  const constraint = createSenderConstraint(resolved);
  const verifiedCache = resolved.verifiedTokenCache === undefined
    ? undefined
    : new VerifiedTokenCache(resolved.verifiedTokenCache.max, resolved.clock, resolved.clockTolerance);
  const decodeHeader = createHeaderDecoder();
  // An introspection answer without `iss` can only be attributed when one issuer is trusted.
  const soleIssuer = resolved.issuers.length === 1 ? resolved.issuers[0] : undefined;
  const settings: ChallengeSettings = {
    realm: resolved.realm,
    bearer: constraint.bearerAccepted,
    dpopAlgorithms: constraint.dpopAlgorithms,
  };
  const attachChallenge = createChallengeAttacher(settings);

  type Validated = { claims: Claims; format: 'jwt' | 'opaque' };

  // Returns synchronously whenever no I/O is needed (keys cached): each await costs a microtask
  // turn on every request, which matters next to a ~25-80 µs signature check.
  function validate(token: string, compact: boolean, cacheKey: string | undefined): Validated | Promise<Validated> {
    const header = decodeHeader(token);
    if (header !== undefined && !(introspector?.introspectsJwts ?? false)) {
      const verified = verifyJwtAccessToken(token, header, issuers, resolved, compact);
      const remember = (claims: Claims): Validated => {
        if (cacheKey !== undefined) verifiedCache!.set(cacheKey, claims);
        return { claims, format: 'jwt' };
      };
      return verified instanceof Promise ? verified.then(remember) : remember(verified);
    }
    if (introspector === undefined) {
      throw new InvalidTokenError('Token is not a JWT and introspection is not configured', 'ERR_TOKEN_FORMAT_UNSUPPORTED');
    }
    return introspector.introspect(token).then((claims) => ({ claims, format: 'opaque' }));
  }

  function finish(
    request: GuardRequest, credentials: Credentials, validated: Validated, proof: DpopProof | undefined,
  ): AuthenticateResult | Promise<AuthenticateResult> {
    const checked = constraint.check(request, credentials, validated.claims, proof);
    const complete = (headers: Record<string, string>): AuthenticateResult => {
      if (credentials.location === 'query') headers['Cache-Control'] = 'private';
      return { auth: createAuthContext(credentials.token, credentials.scheme, validated.format, validated.claims, soleIssuer, guard), headers };
    };
    return checked instanceof Promise ? checked.then(complete) : complete(checked);
  }

  function run(request: GuardRequest, credentials: Credentials): AuthenticateResult | Promise<AuthenticateResult> {
    const { token } = credentials;
    if (token.length > resolved.maxTokenLength) throw new InvalidTokenError('Token is too long', 'ERR_TOKEN_TOO_LONG');
    // A hit is the hash of a token that passed every check before: no syntax scan, no parse, no
    // signature. Only verified JWTs ever enter the cache.
    const cacheKey = verifiedCache === undefined ? undefined : VerifiedTokenCache.keyOf(token);
    const cached = cacheKey === undefined ? undefined : verifiedCache!.get(cacheKey);
    const compact = cached === undefined && checkTokenSyntax(token);
    // A DPoP proof is judged before the token: a bad proof must cost no JWKS fetch or introspection call.
    const proof = constraint.precheck(request, credentials);
    return proof instanceof Promise
      ? proof.then((checked) => proceed(request, credentials, cached, compact, cacheKey, checked))
      : proceed(request, credentials, cached, compact, cacheKey, proof);
  }

  // After the proof: the token (from the verified cache when it was seen before), then its binding.
  // A function of the createGuard scope, not a closure per request: the synchronous path allocates none.
  function proceed(
    request: GuardRequest, credentials: Credentials, cached: Claims | undefined, compact: boolean, cacheKey: string | undefined,
    proof: DpopProof | undefined,
  ): AuthenticateResult | Promise<AuthenticateResult> {
    const validated = cached !== undefined ? { claims: cached, format: 'jwt' as const } : validate(credentials.token, compact, cacheKey);
    return validated instanceof Promise
      ? validated.then((result) => finish(request, credentials, result, proof))
      : finish(request, credentials, validated, proof);
  }

  function reject(error: GuardError, scheme?: 'Bearer' | 'DPoP'): GuardError {
    return attachChallenge(error, scheme);
  }

  const NO_CREDENTIALS: AuthenticateResult = Object.freeze({ auth: undefined, headers: Object.freeze({}) as Record<string, string> });

  function authenticateFast(request: GuardRequest, authenticateOptions?: AuthenticateOptions): AuthenticateResult | Promise<AuthenticateResult> {
    let credentials: Credentials | undefined;
    const fail = (error: unknown): never => {
      throw isGuardError(error) ? reject(error, credentials?.scheme) : error;
    };
    try {
      credentials = extractCredentials(request, resolved.tokenLocations, settings.dpopAlgorithms !== undefined);
      if (credentials === undefined) {
        if (authenticateOptions?.optional === true) return NO_CREDENTIALS;
        throw new MissingCredentialsError();
      }
      const result = run(request, credentials);
      return result instanceof Promise ? result.catch(fail) : result;
    } catch (error) {
      return fail(error);
    }
  }

  const guard: Guard = {
    authenticateFast,
    authenticate(request, authenticateOptions) {
      try {
        return Promise.resolve(authenticateFast(request, authenticateOptions));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    verify(request) {
      try {
        const result = authenticateFast(request);
        return result instanceof Promise ? result.then((settled) => settled.auth!) : Promise.resolve(result.auth!);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    authorize(auth, requirement) {
      if (auth === undefined) throw reject(new MissingCredentialsError());
      const error = requirement.check(auth);
      if (error !== undefined) throw reject(error, auth.scheme);
    },
    reject,
  };
  return guard;
}

export type { ResolvedOptions, Introspector, SenderConstraint };
