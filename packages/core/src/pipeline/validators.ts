import {
  checkAudience, checkClaimTypes, checkRequiredClaims, checkTimeClaims, malformedClaim, readAudience, type Claims,
} from '../claims/claims.js';
import { quoteList, quoteValue } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { toClaimPredicate, type ClaimCondition } from '../requirements/requirements.js';
import type { TokenFormatName } from './formats.js';

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
  /** Run again on every verified-token cache hit (the rule depends on the clock or on user code). */
  readonly recheck: boolean;
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
  const { clockTolerance, audiences, requiredClaims, issuers } = settings;
  const rules: ClaimRule[] = [
    { name: 'types', formats: ALL, recheck: false, check: checkClaimTypes },
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
    {
      name: 'audience',
      formats: JWT,
      recheck: false,
      check(claims) {
        const audience = readAudience(claims);
        if (audience === undefined) {
          throw new InvalidTokenError('Token has no audience', 'ERR_TOKEN_CLAIM_MISSING', {
            detail: `claim "aud" is absent; a JWT access token must name one of audience: ${quoteList(audiences)} (RFC 9068 §2.2)`,
          });
        }
        checkAudience(audience, audiences);
      },
    },
    {
      name: 'audience',
      formats: OPAQUE,
      recheck: false,
      check(claims) {
        const audience = readAudience(claims);
        if (audience !== undefined) checkAudience(audience, audiences);
      },
    },
    { name: 'required-claims', formats: JWT, recheck: false, check: (claims) => checkRequiredClaims(claims, requiredClaims) },
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

/** The rule table of one guard, split per format once so that a request only loops over its own. */
export class ClaimValidators {
  readonly #clock: () => number;
  readonly #rules = new Map<TokenFormatName, readonly ClaimRule[]>();
  readonly #rechecks = new Map<TokenFormatName, readonly ClaimRule[]>();

  constructor(rules: readonly ClaimRule[], clock: () => number) {
    this.#clock = clock;
    for (const format of ALL) {
      const own = rules.filter((rule) => rule.formats.includes(format));
      this.#rules.set(format, own);
      this.#rechecks.set(format, own.filter((rule) => rule.recheck));
    }
  }

  /** Runs every rule of `format`; throws the first rule's rejection. */
  check(claims: Claims, format: TokenFormatName): void {
    run(this.#rules.get(format)!, claims, this.#clock() / 1000);
  }

  /** Runs the rules that must hold on every use (clock, user validators): for verified-cache hits. */
  recheck(claims: Claims, format: TokenFormatName): void {
    run(this.#rechecks.get(format)!, claims, this.#clock() / 1000);
  }
}

function run(rules: readonly ClaimRule[], claims: Claims, now: number): void {
  for (let i = 0; i < rules.length; i += 1) rules[i]!.check(claims, now);
}
