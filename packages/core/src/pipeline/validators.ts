import {
  checkAudience, checkClaimTypes, checkRequiredClaims, checkTimeClaims, malformedClaim, readAudience, type Claims,
} from '../claims/claims.js';
import { refuseIdToken, refuseSecurityEventToken } from '../claims/id-token.js';
import { readAuthorizationDetails } from '../claims/authorization-details.js';
import { quoteList, quoteValue } from '../errors/detail.js';
import { checkPrincipal, type PrincipalTest } from '../issuer/principals.js';
import { InvalidTokenError } from '../errors/errors.js';
import { toClaimPredicate, type ClaimCondition } from '../requirements/requirements.js';
import type { TokenFormatName } from './formats.js';
import type { AccessTokenMarker, ProfileName, ProviderProfile } from '../profiles/profiles.js';
import type { IssuerLookup } from '../issuer/trusted-issuer.js';
import { issuerUntrusted } from '../jwt/verify-access-token.js';

/**
 * Stage 5 of the pipeline: one table of claim rules for every token format — JWT access tokens
 * (RFC 9068 §4), introspection answers (RFC 7662 §2.2) and verified-token cache hits, which re-run
 * the rules that depend on the clock. A new rule (a provider profile's, say) is one entry in
 * {@link buildClaimRules}; nothing else changes.
 */

/** One claim rule. It throws an `invalid_token` `GuardError` when the claims break it. */
export interface ClaimRule {
  /** For diagnostics: which rule this is (`time`, `audience`, `validators.<claim>`, ...). */
  readonly name: string;
  /** The formats it applies to. */
  readonly formats: readonly TokenFormatName[];
  /**
   * Run again on every verified-token cache hit (the rule depends on the clock or on user code);
   * `'hit'`: only on hits (the format made the check on the miss, e.g. the issuer lookup).
   */
  readonly recheck: boolean | 'hit';
  check(claims: Claims, now: number): void;
}

/**
 * A user validator (`validators` option) for one claim: an exact value, one of several values, or
 * a predicate `(value, claims) => boolean`. The same forms as `requireClaims()`, but judged on
 * every token by the guard (401 `invalid_token`, `ERR_TOKEN_VALIDATOR_FAILED`) instead of per
 * route (403).
 */
export type ClaimValidator = ClaimCondition;

/** What the rules need; resolved by `createGuard` at start-up. */
export interface ClaimRuleSettings {
  clockTolerance: number;
  audiences: ReadonlySet<string>;
  requiredClaims: readonly string[];
  /** Configured issuers: an introspection answer's `iss`, when present, must be one of them. */
  issuers: ReadonlySet<string>;
  validators: Readonly<Record<string, ClaimValidator>>;
  /** The provider profile: `scope` arrays, the audience claim, the access-token markers. */
  profile: Pick<ProviderProfile, 'name' | 'scopeArrays' | 'audienceClaim' | 'markers'>;
  /** `typ: JWT` (or none) is accepted: then `typ` does not tell access tokens from ID tokens. */
  allowGenericJwtTyp: boolean;
  /** `principals`: the callers accepted; `undefined` for any. */
  principals: PrincipalTest | undefined;
  /** `introspection.allowMissingAudience`: an introspection answer without `aud` is not refused. */
  allowMissingIntrospectionAudience: boolean;
  /**
   * The issuer lookup of JWTs when its answer can change while the guard runs (a `tenants`
   * predicate over a live allow-list): re-run on every verified-cache hit, so an off-boarded
   * tenant's cached tokens fail as a fresh verification would. `undefined` when it cannot change.
   */
  findIssuer?: IssuerLookup | undefined;
}

/** RFC 7662 §2.2 members that must be strings when present, besides those `checkClaimTypes` covers. */
const INTROSPECTION_STRING_MEMBERS = ['username', 'token_type'] as const;
const ALL: readonly TokenFormatName[] = ['jwt', 'opaque'];
const JWT: readonly TokenFormatName[] = ['jwt'];
const OPAQUE: readonly TokenFormatName[] = ['opaque'];

/**
 * The claim rules, in the order they run. JWT-only rules are those RFC 9068 makes mandatory and
 * RFC 7662 optional (`exp`, `aud`, the required claims); the issuer of a JWT is checked by its
 * format before any I/O (its keys depend on it), that of an introspection answer here.
 */
export function buildClaimRules(settings: ClaimRuleSettings): ClaimRule[] {
  const { clockTolerance, audiences, requiredClaims, issuers, profile, principals, findIssuer } = settings;
  // Dropping a required claim is advised only where ID tokens stay out without it: `typ: at+jwt`
  // is required, the profile has its markers, or `client_id` (which ID tokens lack) stays required.
  const keptOut = !settings.allowGenericJwtTyp || profile.markers.length > 0;
  const relaxable = (name: string): boolean => keptOut || (name !== 'client_id' && requiredClaims.includes('client_id'));
  const rules: ClaimRule[] = [
    ...(findIssuer === undefined ? [] : [{
      name: 'issuer-lookup',
      formats: JWT,
      recheck: 'hit' as const,
      check(claims: Claims) {
        if (findIssuer(claims.iss, claims) === undefined) throw issuerUntrusted(claims.iss, findIssuer);
      },
    }]),
    { name: 'types', formats: ALL, recheck: false, check: (claims) => checkClaimTypes(claims, profile.scopeArrays) },
    // RFC 9396 §9.1/§9.2: malformed details are a bad token on every route, not a 403 on some.
    { name: 'authorization-details', formats: ALL, recheck: false, check: (claims) => void readAuthorizationDetails(claims) },
    // First of the meaning checks: an ID token is refused as what it is, whatever else it carries.
    { name: 'id-token', formats: JWT, recheck: false, check: (claims) => refuseIdToken(claims, true) },
    { name: 'id-token', formats: OPAQUE, recheck: false, check: (claims) => refuseIdToken(claims, false) },
    { name: 'security-event-token', formats: ALL, recheck: false, check: refuseSecurityEventToken },
    {
      name: 'introspection-types',
      formats: OPAQUE,
      recheck: false,
      check(claims) {
        for (const name of INTROSPECTION_STRING_MEMBERS) {
          if (claims[name] !== undefined && typeof claims[name] !== 'string') throw malformedClaim(name, 'a string', claims[name]);
        }
      },
    },
    { name: 'time', formats: JWT, recheck: true, check: (claims, now) => checkTimeClaims(claims, now, clockTolerance, true) },
    { name: 'time', formats: OPAQUE, recheck: true, check: (claims, now) => checkTimeClaims(claims, now, clockTolerance, false) },
    // Before the audience: an ID token is refused as what it is, even when its `aud` does not fit.
    ...profile.markers.map((marker): ClaimRule => ({
      name: `profile.${profile.name}`, formats: JWT, recheck: false, check: (claims) => checkMarker(claims, marker, profile.name),
    })),
    {
      name: 'audience',
      formats: JWT,
      recheck: false,
      check: profile.audienceClaim === 'aud' ? checkJwtAudience : checkClientAudience,
    },
    {
      name: 'audience',
      formats: OPAQUE,
      recheck: false,
      check(claims) {
        const audience = readAudience(claims);
        if (audience !== undefined) checkAudience(audience, audiences);
        // RFC 7662 §2.2 makes `aud` optional: an answer without it cannot show the token is meant
        // for this resource, and an audience check never passes for lack of the claim.
        else if (!settings.allowMissingIntrospectionAudience) {
          throw new InvalidTokenError('Token audience is unknown', 'ERR_INTROSPECTION_AUDIENCE_MISSING', {
            detail: `the introspection answer has no "aud": the authorization server does not say which resource the token is for, so `
              + `audience: ${quoteList(audiences)} cannot be checked; if it answers only about tokens meant for this client, `
              + 'set "introspection.allowMissingAudience: true"',
          });
        }
      },
    },
    { name: 'required-claims', formats: JWT, recheck: false, check: (claims) => checkRequiredClaims(claims, requiredClaims, relaxable) },
    {
      name: 'issuer',
      formats: OPAQUE,
      recheck: false,
      check(claims) {
        if (claims.iss !== undefined && !issuers.has(claims.iss as string)) {
          throw new InvalidTokenError('Token issuer is not trusted', 'ERR_INTROSPECTION_ISSUER_UNTRUSTED', {
            detail: `the introspection answer's iss ${quoteValue(claims.iss)} is not one of issuer: ${quoteList(issuers)} (compared exactly)`,
          });
        }
      },
    },
  ];
  function checkJwtAudience(claims: Claims): void {
    const audience = readAudience(claims);
    if (audience === undefined) {
      throw new InvalidTokenError('Token has no audience', 'ERR_TOKEN_CLAIM_MISSING', {
        detail: `claim "aud" is absent; a JWT access token must name one of audience: ${quoteList(audiences)} (RFC 9068 §2.2)`
          + (typeof claims.client_id === 'string' && claims.token_use !== undefined ? '; Amazon Cognito access tokens: set profile "cognito"' : ''),
      });
    }
    checkAudience(audience, audiences);
  }
  // Cognito: access tokens name the app client in `client_id` and carry no `aud`; an `aud` that
  // is there anyway (resource binding) must match too.
  function checkClientAudience(claims: Claims): void {
    const clientId = claims.client_id;
    if (typeof clientId !== 'string' || !audiences.has(clientId)) {
      throw new InvalidTokenError(clientId === undefined ? 'Token has no client_id' : 'Token is not meant for this resource',
        clientId === undefined ? 'ERR_TOKEN_CLAIM_MISSING' : 'ERR_TOKEN_AUDIENCE_INVALID', {
          detail: `profile "${profile.name}" matches audience against "client_id": client_id ${quoteValue(clientId)} is not one of `
            + `audience: ${quoteList(audiences)} (list your app client ids)`,
        });
    }
    const audience = readAudience(claims);
    if (audience !== undefined) checkAudience(audience, audiences);
  }
  if (principals !== undefined) {
    // A predicate may consult a list that changes: judged on every use, cache hits included.
    rules.push({ name: 'principals', formats: ALL, recheck: true, check: (claims) => checkPrincipal(claims, principals) });
  }
  for (const [claim, condition] of Object.entries(settings.validators)) {
    const test = toClaimPredicate(`validators.${claim}`, condition);
    rules.push({
      name: `validators.${claim}`,
      formats: ALL,
      // User code may depend on anything (a deny list, the time): it runs on every request.
      recheck: true,
      check(claims) {
        if (!test(claims[claim], claims)) {
          throw new InvalidTokenError('Token was rejected by a claim validator', 'ERR_TOKEN_VALIDATOR_FAILED', {
            detail: `the "validators" check of claim ${quoteValue(claim)} failed`,
          });
        }
      },
    });
  }
  return rules;
}

const present = (claims: Claims, name: string): boolean => claims[name] !== undefined && claims[name] !== null;

/** A provider's access-token marker (see `profiles/profiles.ts`); an ID token fails it. */
function checkMarker(claims: Claims, marker: AccessTokenMarker, profile: ProfileName): void {
  let holds: boolean;
  let expected: string;
  if ('anyOf' in marker) {
    holds = marker.anyOf.some((name) => present(claims, name));
    expected = `has one of the claims ${quoteList(marker.anyOf)}, this token none`;
  } else if ('equals' in marker) {
    holds = claims[marker.claim] === marker.equals;
    expected = `has claim ${quoteValue(marker.claim)} ${quoteValue(marker.equals)}, this token ${quoteValue(claims[marker.claim])}`;
  } else {
    const value = claims[marker.claim];
    const needed = typeof value === 'string' && Object.hasOwn(marker.cases, value) ? marker.cases[value] : undefined;
    holds = needed !== undefined && needed.every((name) => present(claims, name));
    expected = `has claim ${quoteValue(marker.claim)} one of ${Object.entries(marker.cases).map(([key, names]) => `${quoteValue(key)} with ${quoteList(names)}`).join(' or ')}`
      + `, this token ${quoteValue(marker.claim)} ${quoteValue(value)}`;
  }
  if (!holds) {
    throw new InvalidTokenError('Token is not an access token of the configured profile', 'ERR_TOKEN_NOT_ACCESS_TOKEN', {
      detail: `profile "${profile}": an access token ${expected} (an ID token, or another kind of JWT of this provider? the API needs the access token)`,
    });
  }
}

/** The rule table of one guard, split per format once so that a request only loops over its own. */
export class ClaimValidators {
  readonly #clock: () => number;
  readonly #rules = new Map<TokenFormatName, readonly ClaimRule[]>();
  readonly #rechecks = new Map<TokenFormatName, readonly ClaimRule[]>();

  constructor(rules: readonly ClaimRule[], clock: () => number) {
    this.#clock = clock;
    for (const format of ALL) {
      const own = rules.filter((rule) => rule.formats.includes(format));
      this.#rules.set(format, own.filter((rule) => rule.recheck !== 'hit'));
      this.#rechecks.set(format, own.filter((rule) => rule.recheck !== false));
    }
  }

  /** Runs every rule of `format`; throws the first rule's rejection. */
  check(claims: Claims, format: TokenFormatName): void {
    run(this.#rules.get(format)!, claims, this.#clock() / 1000);
  }

  /**
   * Runs the rules whose verdict can change after a token was verified (clock, user validators,
   * a live tenant allow-list): for verified-cache hits, so a hit answers as a miss would now.
   */
  recheck(claims: Claims, format: TokenFormatName): void {
    run(this.#rechecks.get(format)!, claims, this.#clock() / 1000);
  }
}

function run(rules: readonly ClaimRule[], claims: Claims, now: number): void {
  for (let i = 0; i < rules.length; i += 1) rules[i]!.check(claims, now);
}
