import { describeType } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { isPlainObject } from '../jws/jose-rules.js';

/**
 * One entry of `authorization_details` (RFC 9396 §2): its `type`, the common data fields of §2.2
 * when the authorization server sent them, and every other member of the type as received.
 * Deep-frozen, like the claims it comes from.
 */
export interface AuthorizationDetail {
  /** The authorization details type (RFC 9396 §2): what kind of access this entry grants. */
  readonly type: string;
  /** Where the resource is (URIs, RFC 9396 §2.2). */
  readonly locations?: readonly string[];
  /** The kinds of action granted (RFC 9396 §2.2), e.g. `initiate`, `read`. */
  readonly actions?: readonly string[];
  /** The kinds of data asked for (RFC 9396 §2.2). */
  readonly datatypes?: readonly string[];
  /** A specific resource at the API (RFC 9396 §2.2). */
  readonly identifier?: string;
  /** The privilege levels granted (RFC 9396 §2.2), e.g. `admin`. */
  readonly privileges?: readonly string[];
  /** Members of the type's own (`instructedAmount`, `creditorAccount`, ...): unchecked JSON. */
  readonly [member: string]: unknown;
}

/**
 * Most entries of `authorization_details` a token may carry: a token with more is refused
 * (401 `ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID`), so that a route requirement's predicate runs
 * at most this many times per request.
 */
export const AUTHORIZATION_DETAILS_MAX = 100;

/** The common data fields of RFC 9396 §2.2 that are arrays of strings. */
export const AUTHORIZATION_DETAIL_LISTS = ['locations', 'actions', 'datatypes', 'privileges'] as const;

const NONE: readonly AuthorizationDetail[] = Object.freeze([]);

/**
 * The `authorization_details` of a JWT access token (RFC 9396 §9.1) or an introspection answer
 * (§9.2), both the same member; empty when absent. Throws 401 `invalid_token`
 * (`ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID`) when it is not an array of at most
 * {@link AUTHORIZATION_DETAILS_MAX} JSON objects, each with a string `type` and, when present,
 * the §2.2 common fields of their JSON types (a string `actions` would make a predicate's
 * `actions.includes('x')` a substring test). The members of a type's own are not checked: their
 * schema is the API's (RFC 9396 §2, §6). The detail names the entry and the member, never a value.
 */
export function readAuthorizationDetails(claims: Readonly<Record<string, unknown>>): readonly AuthorizationDetail[] {
  const details = claims.authorization_details;
  if (details === undefined) return NONE;
  if (!Array.isArray(details)) throw malformedDetails(`must be a JSON array, found ${describeType(details)}`);
  if (details.length > AUTHORIZATION_DETAILS_MAX) {
    throw malformedDetails(`has ${details.length} entries, more than the ${AUTHORIZATION_DETAILS_MAX} this resource examines`);
  }
  for (let index = 0; index < details.length; index += 1) {
    const entry: unknown = details[index];
    if (!isPlainObject(entry)) throw malformedDetails(`entry ${index} must be a JSON object, found ${describeType(entry)}`);
    if (typeof entry.type !== 'string' || entry.type === '') {
      throw malformedDetails(`entry ${index} must have a non-empty string "type", found ${describeType(entry.type)}`);
    }
    for (const name of AUTHORIZATION_DETAIL_LISTS) {
      const value = entry[name];
      if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
        throw malformedDetails(`entry ${index}: "${name}" must be an array of strings (RFC 9396 §2.2), found ${describeType(value)}`);
      }
    }
    if (entry.identifier !== undefined && typeof entry.identifier !== 'string') {
      throw malformedDetails(`entry ${index}: "identifier" must be a string (RFC 9396 §2.2), found ${describeType(entry.identifier)}`);
    }
  }
  return details as AuthorizationDetail[];
}

function malformedDetails(what: string): InvalidTokenError {
  return new InvalidTokenError('Token has malformed authorization_details', 'ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID', {
    detail: `claim "authorization_details" ${what} (RFC 9396 §2)`,
  });
}
