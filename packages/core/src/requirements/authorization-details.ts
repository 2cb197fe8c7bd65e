import type { AuthContext } from '../pipeline/context.js';
import {
  AUTHORIZATION_DETAIL_LISTS, readAuthorizationDetails, type AuthorizationDetail,
} from '../claims/authorization-details.js';
import { quoteValue } from '../errors/detail.js';
import { InsufficientScopeError } from '../errors/errors.js';
import type { Requirement } from './requirements.js';

/** Options of {@link requireAuthorizationDetails}: what one entry of the token must be. */
export interface RequireAuthorizationDetailsOptions {
  /** The authorization details type the entry must have (RFC 9396 §2), compared exactly. */
  type: string;
  /** Every one of these must be among the entry's `actions` (RFC 9396 §2.2). Default: not checked. */
  actions?: readonly string[];
  /** Every one of these must be among the entry's `locations`. Default: not checked. */
  locations?: readonly string[];
  /** Every one of these must be among the entry's `datatypes`. Default: not checked. */
  datatypes?: readonly string[];
  /** Every one of these must be among the entry's `privileges`. Default: not checked. */
  privileges?: readonly string[];
  /** The entry's `identifier` must equal this. Default: not checked. */
  identifier?: string;
  /**
   * Decides on an entry of `type` that passed the checks above (the type's own members: an
   * amount, an account): `true` accepts it, anything else does not. Called once per such entry
   * until one is accepted, with the deep-frozen entry and the context. Default: any entry of `type`.
   */
  match?: (detail: AuthorizationDetail, auth: AuthContext) => boolean;
}

const OPTION_KEYS = new Set(['type', 'match', 'identifier', ...AUTHORIZATION_DETAIL_LISTS]);

function readOptions(options: RequireAuthorizationDetailsOptions): RequireAuthorizationDetailsOptions {
  const fail = (what: string): never => {
    throw new TypeError(`resource-guard: requireAuthorizationDetails() ${what}`);
  };
  if (typeof options !== 'object' || options === null) fail('needs options ({ type, match? })');
  const unknown = Object.keys(options).find((key) => !OPTION_KEYS.has(key));
  if (unknown !== undefined) fail(`does not know the option ${JSON.stringify(unknown)}`);
  if (typeof options.type !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(options.type)) {
    fail('"type" must be a non-empty string of visible ASCII characters, without " or \\ (it is named in the challenge)');
  }
  for (const name of AUTHORIZATION_DETAIL_LISTS) {
    const list = options[name];
    if (list !== undefined && !(Array.isArray(list) && list.length > 0 && list.every((item) => typeof item === 'string'))) {
      fail(`"${name}" must be a non-empty array of strings`);
    }
  }
  if (options.identifier !== undefined && typeof options.identifier !== 'string') fail('"identifier" must be a string');
  if (options.match !== undefined && typeof options.match !== 'function') fail('"match" must be a function (detail, auth) => boolean');
  return options;
}

/**
 * Requires an entry of the token's `authorization_details` (RFC 9396 §9.1 JWT claim, §9.2
 * introspection member) of `type` whose common fields include those listed (`actions`,
 * `locations`, ...: all of them, exact strings) and that `match` accepts. Entries of other
 * types are never handed to `match`. Malformed details were refused when the token was verified
 * (401 `ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID`, at most 100 entries); this requirement sees well-formed ones.
 *
 * Rejection: 403 `insufficient_scope` (RFC 6750 §3.1: the token grants less than the request
 * needs; RFC 9396 §9 leaves the error to the resource server) with code
 * `ERR_AUTHORIZATION_DETAILS_INSUFFICIENT` and `authorization_details_types="<type>"` in the
 * challenge: the configured type, never a value from the token. Not checked: that the entry's
 * members follow the type's schema (the API's `match` does), nor `scope` (combine with
 * `requireScopes()`).
 */
export function requireAuthorizationDetails(options: RequireAuthorizationDetailsOptions): Requirement {
  const { type, identifier, match } = readOptions(options);
  const lists = AUTHORIZATION_DETAIL_LISTS.flatMap((name) => (options[name] === undefined ? [] : [[name, [...options[name]]] as const]));
  const challengeParams = { authorization_details_types: type };
  const accepts = (detail: AuthorizationDetail): boolean => (
    (identifier === undefined || detail.identifier === identifier)
    && lists.every(([name, required]) => required.every((item) => detail[name]?.includes(item) === true))
  );
  return {
    kind: 'authorization_details',
    check(auth) {
      // A context made by another installed copy of the core may predate the field.
      const details = auth.authorizationDetails ?? readAuthorizationDetails(auth.claims);
      let ofType = 0;
      for (const detail of details) {
        if (detail.type !== type) continue;
        ofType += 1;
        if (accepts(detail) && (match === undefined || match(detail, auth) === true)) return undefined;
      }
      return new InsufficientScopeError('The token lacks the authorization details this request needs', 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT', {
        challengeParams,
        detail: `requireAuthorizationDetails(): ${ofType === 0
          ? `no entry of type ${quoteValue(type)} among the token's ${details.length}`
          : `${ofType} entries of type ${quoteValue(type)}, none with the required fields${match === undefined ? '' : ' accepted by "match"'}`}`,
      });
    },
  };
}
