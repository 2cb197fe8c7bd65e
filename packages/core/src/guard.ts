import { createChallengeAttacher } from './http/challenge.js';
import type { AuthContext } from './pipeline/context.js';
import { GUARD_BRAND, type BrandedGuard } from './guard-brand.js';
import type { AuthenticateOptions, AuthenticateResult, Guard } from './guard-types.js';
import {
  InsufficientScopeError, InvalidTokenError, MissingCredentialsError, type GuardError,
} from './errors/errors.js';
import { createJweFormat } from './jwe/jwe-format.js';
import { TrustedIssuer, createIssuerLookup } from './issuer/trusted-issuer.js';
import { TenantIssuers } from './issuer/tenant-issuers.js';
import { createHeaderDecoder } from './jws/jws.js';
import { verifyJwtAccessToken } from './jwt/verify-access-token.js';
import { resolveOptions, type GuardOptions } from './options/guard-options.js';
import type { Requirement } from './requirements/requirements.js';
import { createSenderConstraint } from './pipeline/bind.js';
import { createIntrospector } from './introspection/introspector.js';
import type { TokenFormat } from './pipeline/formats.js';
import { createPipeline } from './pipeline/pipeline.js';
import { createClaimReader } from './claims/claim-reader.js';
import { ClaimValidators, buildClaimRules } from './pipeline/validators.js';
import { VerifiedTokenCache } from './pipeline/verified-cache.js';
import { createResourceMetadataSource } from './metadata/resource-metadata.js';
import { createRejectionLogger } from './errors/detail.js';
import { isPromiseLike, type MaybePromise } from './lib/maybe-promise.js';
import { redactClaimsOf } from './jwe/decrypted-claims.js';
import { annotateFapi2Clause } from './fapi/fapi-2.js';

export type { AuthenticateOptions, AuthenticateResult, Guard } from './guard-types.js';

const pickAuth = (result: AuthenticateResult): AuthContext => result.auth!;

/** What `run` returns, as a promise; what it throws, as a rejection: `verify` and `authenticate` never throw. */
function settle<T>(run: () => MaybePromise<T>): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

const authOf = (result: MaybePromise<AuthenticateResult>): MaybePromise<AuthContext> => (
  isPromiseLike(result) ? result.then(pickAuth) : pickAuth(result)
);

/**
 * Creates the verification pipeline. Options are validated here, once: a bad option throws a
 * `TypeError` naming it. Discovery and JWKS are fetched lazily on the first token that needs them.
 *
 * Per request (see `pipeline/pipeline.ts`): extract (RFC 6750 §2) → classify (JWT or opaque) →
 * DPoP proof precheck (RFC 9449) → verify (RFC 9068 signature, or RFC 7662 introspection) →
 * validate claims → sender binding (RFC 9449 / RFC 8705) → {@link AuthContext}. Route
 * requirements run later, per route.
 */
export function createGuard(options: GuardOptions): Guard {
  const resolved = resolveOptions(options);
  const issuers = new Map(resolved.issuers.map((issuer) => [issuer, new TrustedIssuer(issuer, resolved)] as const));
  const templates = resolved.issuerTemplates;
  // Every tenant shares one TrustedIssuer: one key set (the configured jwksUri), fetched once.
  const tenants = templates.length === 0
    ? undefined
    : new TenantIssuers(templates, resolved.acceptsTenant!, new TrustedIssuer(templates[0]!.template, resolved));
  const findIssuer = createIssuerLookup(issuers, resolved.profile.issuerAliases, tenants);
  const introspector = createIntrospector(resolved, issuers);
  const readClaims = createClaimReader(resolved.clientIdClaims, resolved.scopeClaims);
  const constraint = createSenderConstraint(resolved, readClaims);
  const decodeHeader = createHeaderDecoder();

  // Tried in this order; the first that recognises a token verifies it.
  const formats: TokenFormat[] = [];
  const encrypted = resolved.encryptedTokens;
  if (encrypted !== undefined) {
    formats.push(createJweFormat(encrypted, (inner, compact) => {
      const header = decodeHeader(inner);
      if (header === undefined) throw new InvalidTokenError('Encrypted token does not contain a JWT', 'ERR_JWE_CTY_INVALID');
      return verifyJwtAccessToken(inner, header, findIssuer, resolved, compact);
    }) as TokenFormat);
  }
  if (!(introspector?.introspectsJwts ?? false)) {
    formats.push({
      name: 'jwt',
      classify: (token) => decodeHeader(token),
      verify(token, header, compact) {
        if (encrypted?.required === true) throw new InvalidTokenError('Access tokens must be encrypted', 'ERR_JWE_REQUIRED');
        return verifyJwtAccessToken(token, header as Readonly<Record<string, unknown>>, findIssuer, resolved, compact);
      },
    });
  }
  if (introspector !== undefined) {
    formats.push({ name: 'opaque', classify: () => true, verify: (token) => introspector.introspect(token) });
  }

  // A provider's known reason for a token that grants nothing (an Entra app-only token without an
  // app role), added to the detail of a scope rejection.
  const explain = resolved.profile.explainNoScopes;
  const explainNoScopes = (error: GuardError, auth: AuthContext): GuardError => {
    const reason = explain === undefined || error.code !== 'ERR_SCOPE_INSUFFICIENT' || auth.scopes.length > 0 ? undefined : explain(auth.claims);
    return reason === undefined
      ? error
      : new InsufficientScopeError(error.message, error.code, { challengeParams: error.challengeParams, detail: `${error.detail ?? ''}; ${reason}` });
  };

  const metadata = resolved.resourceMetadata === undefined ? undefined : createResourceMetadataSource(resolved.resourceMetadata, {
    // With issuer templates, the listed tenants' issuers (none with a predicate: they cannot be listed).
    issuers: templates.length === 0 ? resolved.issuers : resolved.tenantIssuers,
    tokenLocations: resolved.tokenLocations,
    dpopAlgorithms: constraint.dpopAlgorithms,
    dpopRequired: !constraint.bearerAccepted,
    mtlsEnabled: constraint.mtlsEnabled,
  });
  const attachChallenge = createChallengeAttacher({
    realm: resolved.realm,
    bearer: constraint.bearerAccepted,
    dpopAlgorithms: constraint.dpopAlgorithms,
    resourceMetadata: metadata?.url,
    scope: resolved.challengeScope,
  });
  const requirementContext = Object.freeze({ scopeHierarchy: resolved.scopeHierarchy });
  const logRejection = resolved.logRejections ? createRejectionLogger(resolved.logger) : undefined;
  const annotate = resolved.fapi === undefined ? undefined : annotateFapi2Clause;
  const reject = (error: GuardError, scheme?: 'Bearer' | 'DPoP'): GuardError => {
    // The rendered error is the one the adapters see: marked as logged, errorHandler() skips it.
    const rendered = attachChallenge(annotate === undefined ? error : annotate(error), scheme);
    logRejection?.(rendered);
    return rendered;
  };

  // One object, built whole; `run` is only called once createGuard() has returned.
  const guard: BrandedGuard = {
    verify: (request) => settle(() => authOf(run(request, false))),
    authenticate: (request, authenticateOptions?: AuthenticateOptions) => settle(() => run(request, authenticateOptions?.optional === true)),
    authorize(auth: AuthContext | undefined, requirement: Requirement) {
      if (auth === undefined) {
        const missing = new MissingCredentialsError();
        resolved.telemetry.recordAuthorization(requirement.kind ?? 'custom', missing);
        throw reject(missing);
      }
      const error = requirement.check(auth, requirementContext);
      resolved.telemetry.recordAuthorization(requirement.kind ?? 'custom', error);
      if (error !== undefined) throw reject(explainNoScopes(redactClaimsOf(error, auth.claims) as GuardError, auth), auth.scheme);
    },
    reject,
    [GUARD_BRAND]: { authenticate: (request, optional) => run(request, optional), metadata, options: resolved, findIssuer },
  };

  const run = createPipeline({
    tokenLocations: resolved.tokenLocations,
    maxTokenLength: resolved.maxTokenLength,
    formats,
    validators: new ClaimValidators(buildClaimRules({
      clockTolerance: resolved.clockTolerance,
      audiences: resolved.audiences,
      requiredClaims: resolved.requiredClaims,
      issuers: new Set(resolved.issuers),
      validators: resolved.validators,
      profile: resolved.profile,
      allowGenericJwtTyp: resolved.allowGenericJwtTyp,
      principals: resolved.principals,
      allowMissingIntrospectionAudience: resolved.introspection?.allowMissingAudience ?? false,
      // Tenants (a predicate may consult a live allow-list) are the lookup's only changing input.
      findIssuer: tenants === undefined ? undefined : findIssuer,
    }), resolved.clock),
    readClaims,
    constraint,
    verifiedCache: resolved.verifiedTokenCache === undefined
      ? undefined
      : new VerifiedTokenCache(resolved.verifiedTokenCache.max, resolved.clock, resolved.clockTolerance),
    // An introspection answer without `iss` can only be attributed when one issuer is trusted.
    soleIssuer: resolved.issuers.length === 1 ? resolved.issuers[0] : undefined,
    reject,
    telemetry: resolved.telemetry,
    issuers: new Set(resolved.issuers),
  }, guard);

  return guard;
}
