import type { Claims } from '../claims/claims.js';
import type { DpopProof } from '../dpop/proof.js';
import { InvalidTokenError, MissingCredentialsError, isGuardError, type GuardError } from '../errors/errors.js';
import type { AuthenticateResult } from '../guard-types.js';
import type { GuardRequest } from '../http/request.js';
import type { TokenLocation } from '../options/guard-options.js';
import type { SenderConstraint } from './bind.js';
import { createAuthContext } from './context.js';
import { extractCredentials, type Credentials } from './extract.js';
import { classifyToken, verifyClassified, type ClassifiedToken, type TokenFormat, type TokenFormatName } from './formats.js';
import { isPromiseLike, type MaybePromise } from '../lib/maybe-promise.js';
import { redactClaimsOf } from '../jwe/decrypted-claims.js';
import type { ClaimValidators } from './validators.js';
import type { ClaimReader } from '../claims/claim-reader.js';
import type { VerifiedTokenCache } from './verified-cache.js';
import type { AuthenticationObservation, Telemetry } from '../telemetry/telemetry.js';

/** The parts of one guard the pipeline runs through; built once by `createGuard`. */
export interface PipelineParts {
  tokenLocations: ReadonlySet<TokenLocation>;
  maxTokenLength: number;
  /** Token formats in the order they are tried (see `formats.ts`). */
  formats: readonly TokenFormat[];
  validators: ClaimValidators;
  /** Where the context's client id and scopes come from (`clientIdClaim`, `scopeClaims`). */
  readClaims: ClaimReader;
  constraint: SenderConstraint;
  verifiedCache: VerifiedTokenCache | undefined;
  /** `iss` of contexts whose claims name none (introspection answers, when one issuer is trusted). */
  soleIssuer: string | undefined;
  /** Renders a rejection's challenge for the scheme the request used. */
  reject(error: GuardError, scheme: 'Bearer' | 'DPoP' | undefined): GuardError;
  /** Where each authentication is recorded (docs/observability.md). */
  telemetry: Telemetry;
  /** The configured issuers: the only `iss` values a metric may carry. */
  issuers: ReadonlySet<string>;
}

const NO_CREDENTIALS: AuthenticateResult = Object.freeze({ auth: undefined, headers: Object.freeze({}) as Record<string, string> });

/**
 * The request pipeline (ARCHITECTURE.md, "The pipeline"): extract → classify → DPoP proof precheck →
 * verify → validate claims → bind → context, cheap checks before any network I/O. Every stage
 * throws a `GuardError`; one handler renders it for the scheme the request used.
 *
 * Synchronous until a stage has I/O to wait for (a key fetch, introspection, a store that answers
 * with a promise, the DPoP replay check, a custom certificate source): then it returns a promise
 * and the rest runs when that settles. An unbound Bearer JWT with loaded keys, a verified-token
 * cache hit and an introspection hit on the in-process store settle no promise at all, so the
 * adapters can call the next middleware in the same tick. A cache hit skips classify and verify.
 */
export function createPipeline(parts: PipelineParts, guard: object): (request: GuardRequest, optional: boolean) => MaybePromise<AuthenticateResult> {
  const { tokenLocations, maxTokenLength, formats, validators, readClaims, constraint, verifiedCache, soleIssuer, reject, telemetry, issuers } = parts;
  const dpopEnabled = constraint.dpopAlgorithms !== undefined;
  // Built once: an unauthenticated request is common and must stay cheap.
  const missingDetail = `no access token in ${[...tokenLocations].join(', ')} (tokenLocations); Authorization schemes read: Bearer${dpopEnabled ? ', DPoP' : ''}`;
  const render = (error: unknown, scheme: 'Bearer' | 'DPoP' | undefined): unknown => (isGuardError(error) ? reject(error, scheme) : error);

  // Stages 2-7 for the credentials found.
  function verifyCredentials(request: GuardRequest, credentials: Credentials, observation: AuthenticationObservation | undefined): MaybePromise<AuthenticateResult> {
    const { token } = credentials;
    if (token.length > maxTokenLength) {
      throw new InvalidTokenError('Token is too long', 'ERR_TOKEN_TOO_LONG', { detail: `${token.length} characters, more than maxTokenLength ${maxTokenLength}` });
    }
    // A hit is a JWT that passed every check before: no syntax scan, no parse, no signature.
    const cached = verifiedCache?.get(token);
    if (verifiedCache !== undefined) telemetry.countCacheLookup('verified_token', cached === undefined ? 'miss' : 'hit');
    // 2. classify
    const classified = cached === undefined ? classifyToken(formats, token) : undefined;
    if (observation !== undefined) observation.format = cached === undefined ? classified!.format?.name : 'jwt';
    // 3. DPoP proof precheck: a bad proof must cost no JWKS fetch and no introspection call.
    if (credentials.scheme === 'DPoP') {
      return constraint.precheck(request, credentials).then((proof) => verifyToken(request, credentials, cached, classified, proof));
    }
    return verifyToken(request, credentials, cached, classified, undefined);
  }

  // 4. verify
  function verifyToken(
    request: GuardRequest, credentials: Credentials, cached: Claims | undefined, classified: ClassifiedToken | undefined, proof: DpopProof | undefined,
  ): MaybePromise<AuthenticateResult> {
    if (cached !== undefined) return checkClaims(request, credentials, cached, 'jwt', proof, true);
    const claims = verifyClassified(credentials.token, classified!);
    const format = classified!.format!.name;
    return isPromiseLike(claims)
      ? claims.then((verified) => checkClaims(request, credentials, verified, format, proof, false))
      : checkClaims(request, credentials, claims, format, proof, false);
  }

  // 5-7, with the values of a decrypted token's claims kept out of any rejection's detail.
  function checkClaims(
    request: GuardRequest, credentials: Credentials, claims: Claims, format: TokenFormatName, proof: DpopProof | undefined, cacheHit: boolean,
  ): MaybePromise<AuthenticateResult> {
    try {
      const result = cacheHit ? recheckClaims(request, credentials, claims, proof) : validateClaims(request, credentials, claims, format, proof);
      return isPromiseLike(result) ? result.then(undefined, (error: unknown) => {
        throw redactClaimsOf(error, claims);
      }) : result;
    } catch (error) {
      throw redactClaimsOf(error, claims);
    }
  }

  // 5. validate claims
  function validateClaims(request: GuardRequest, credentials: Credentials, claims: Claims, format: TokenFormatName, proof: DpopProof | undefined): MaybePromise<AuthenticateResult> {
    validators.check(claims, format);
    if (verifiedCache !== undefined && format === 'jwt') verifiedCache.set(credentials.token, claims);
    return bindToken(request, credentials, claims, format, proof);
  }

  // 5. on a verified-cache hit: the rules whose verdict can change since the token was verified.
  function recheckClaims(request: GuardRequest, credentials: Credentials, claims: Claims, proof: DpopProof | undefined): MaybePromise<AuthenticateResult> {
    validators.recheck(claims, 'jwt');
    return bindToken(request, credentials, claims, 'jwt', proof);
  }

  // 6. bind (RFC 9449, RFC 8705), 7. context
  function bindToken(request: GuardRequest, credentials: Credentials, claims: Claims, format: TokenFormatName, proof: DpopProof | undefined): MaybePromise<AuthenticateResult> {
    if (!constraint.isBound(credentials, claims)) return createResult(credentials, claims, format, {});
    return constraint.check(request, credentials, claims, proof).then((headers) => createResult(credentials, claims, format, headers));
  }

  function createResult(credentials: Credentials, claims: Claims, format: TokenFormatName, headers: Record<string, string>): AuthenticateResult {
    if (credentials.location === 'query') headers['Cache-Control'] = 'private';
    return { auth: createAuthContext(credentials.token, credentials.scheme, format, claims, soleIssuer, guard, readClaims), headers };
  }

  function run(request: GuardRequest, optional: boolean, observation: AuthenticationObservation | undefined): MaybePromise<AuthenticateResult> {
    let scheme: 'Bearer' | 'DPoP' | undefined;
    try {
      // 1. extract (RFC 6750 §2)
      const credentials = extractCredentials(request, tokenLocations, dpopEnabled);
      if (credentials === undefined) {
        if (optional) return NO_CREDENTIALS;
        throw new MissingCredentialsError(undefined, { detail: missingDetail });
      }
      scheme = credentials.scheme;
      if (observation !== undefined) observation.scheme = scheme;
      const result = verifyCredentials(request, credentials, observation);
      if (!isPromiseLike(result)) return result;
      // A native promise whatever a stage handed back: adapters tell the two shapes apart with `instanceof Promise`.
      return Promise.resolve(result).then(undefined, (error: unknown) => {
        throw render(error, scheme);
      });
    } catch (error) {
      throw render(error, scheme);
    }
  }

  const succeeded = (observation: AuthenticationObservation, result: AuthenticateResult): AuthenticateResult => {
    const { auth } = result;
    telemetry.endAuthentication(observation, auth === undefined ? { result: 'none' } : {
      result: 'success', scheme: auth.scheme, format: auth.format, issuer: issuers.has(auth.issuer as string) ? auth.issuer : undefined,
    });
    return result;
  };
  const failed = (observation: AuthenticationObservation, error: unknown): never => {
    telemetry.endAuthentication(observation, { result: error instanceof MissingCredentialsError ? 'none' : 'failure', error });
    throw error;
  };

  return function authenticate(request: GuardRequest, optional: boolean): MaybePromise<AuthenticateResult> {
    const observation = telemetry.startAuthentication();
    // Nothing listens: the pipeline as it is, at the cost of the look above.
    if (observation === undefined) return run(request, optional, undefined);
    let result: MaybePromise<AuthenticateResult>;
    try {
      result = telemetry.runInSpan(observation, () => run(request, optional, observation));
    } catch (error) {
      return failed(observation, error);
    }
    return isPromiseLike(result)
      ? result.then((settled) => succeeded(observation, settled), (error: unknown) => failed(observation, error))
      : succeeded(observation, result);
  };
}
