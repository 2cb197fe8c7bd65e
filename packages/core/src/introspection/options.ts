import type { IntrospectionOptions, ResolvedOptions } from '../options/guard-options.js';
import {
  assertKnownKeys, assertNonEmptyString, parseServerUrl, readBoolean, readNumber,
} from '../options/validate.js';

/** {@link IntrospectionOptions} after start-up validation and defaults; internal. */
export interface ResolvedIntrospection {
  /** The configured endpoint; `undefined` → the first issuer's `introspection_endpoint` metadata. */
  endpoint: URL | undefined;
  clientId: string;
  clientSecret: string;
  clientAuth: 'client_secret_basic' | 'client_secret_post';
  /** Seconds; 0 disables caching and request coalescing. */
  cacheTtl: number;
  /** Seconds; ≤ cacheTtl. */
  inactiveCacheTtl: number;
  /** Milliseconds. */
  timeout: number;
  jwtResponse: boolean;
  /** Seconds. */
  jwtResponseMaxAge: number;
  tokenTypeHint: string | undefined;
  introspectJwts: boolean;
  /** `storeFailure: 'fail-closed'`: a failed cache read is a 503, not an introspection call. */
  failClosedOnStore: boolean;
}

const KNOWN_KEYS: ReadonlyArray<keyof IntrospectionOptions> = [
  'endpoint', 'clientId', 'clientSecret', 'clientAuth', 'cacheTtl', 'inactiveCacheTtl', 'timeout',
  'jwtResponse', 'jwtResponseMaxAge', 'tokenTypeHint', 'introspectJwts', 'storeFailure',
];
const STORE_FAILURE_MODES = ['fall-through', 'fail-closed'] as const;
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
/** RFC 6749 Appendix A.1/A.2: client ids and secrets are VSCHAR (printable ASCII and space). */
const VSCHAR = /^[\x20-\x7e]+$/;

/**
 * Validates `options.introspection` once, at start-up. Every bad value throws a `TypeError` that
 * names the option, e.g. `resource-guard: "introspection.clientId" must be ...`; unknown keys are
 * rejected so that a typo cannot silently turn a check or the cache off.
 */
export function resolveIntrospectionOptions(options: ResolvedOptions): ResolvedIntrospection | undefined {
  const raw = options.introspection;
  if (raw === undefined) return undefined;
  assertKnownKeys(raw, KNOWN_KEYS, 'introspection');

  let endpoint: URL | undefined;
  if (raw.endpoint !== undefined) {
    endpoint = parseServerUrl(raw.endpoint, 'introspection.endpoint', options.allowInsecureRequests);
  } else if (options.issuers.length !== 1) {
    throw new TypeError('resource-guard: "introspection.endpoint" is required when several issuers are configured');
  }

  const clientId = readClientCredential(raw.clientId, 'introspection.clientId');
  // Both supported methods authenticate with a secret; RFC 7662 §2.1 requires authentication.
  const clientSecret = readClientCredential(raw.clientSecret, 'introspection.clientSecret');
  const clientAuth = raw.clientAuth ?? 'client_secret_basic';
  if (!CLIENT_AUTH_METHODS.includes(clientAuth)) {
    throw new TypeError(`resource-guard: "introspection.clientAuth" must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }

  const cacheTtl = readNumber(raw.cacheTtl, 'introspection.cacheTtl', 60);
  const inactiveCacheTtl = readNumber(raw.inactiveCacheTtl, 'introspection.inactiveCacheTtl', Math.min(5, cacheTtl));
  if (inactiveCacheTtl > cacheTtl) {
    throw new TypeError('resource-guard: "introspection.inactiveCacheTtl" must not exceed "introspection.cacheTtl"');
  }

  let tokenTypeHint: string | undefined = 'access_token';
  if (raw.tokenTypeHint === false) tokenTypeHint = undefined;
  else if (raw.tokenTypeHint !== undefined) {
    assertNonEmptyString(raw.tokenTypeHint, 'introspection.tokenTypeHint');
    tokenTypeHint = raw.tokenTypeHint;
  }

  const storeFailure = raw.storeFailure ?? 'fall-through';
  if (!STORE_FAILURE_MODES.includes(storeFailure)) {
    throw new TypeError(`resource-guard: "introspection.storeFailure" must be one of ${STORE_FAILURE_MODES.join(', ')}`);
  }

  return {
    endpoint,
    clientId,
    clientSecret,
    clientAuth,
    cacheTtl,
    inactiveCacheTtl,
    timeout: readNumber(raw.timeout, 'introspection.timeout', options.httpTimeout, 1),
    jwtResponse: readBoolean(raw.jwtResponse, 'introspection.jwtResponse', false),
    jwtResponseMaxAge: readNumber(raw.jwtResponseMaxAge, 'introspection.jwtResponseMaxAge', 60, 1),
    tokenTypeHint,
    introspectJwts: readBoolean(raw.introspectJwts, 'introspection.introspectJwts', false),
    failClosedOnStore: storeFailure === 'fail-closed',
  };
}

function readClientCredential(value: unknown, name: string): string {
  if (typeof value !== 'string' || !VSCHAR.test(value)) {
    throw new TypeError(`resource-guard: "${name}" must be a non-empty string of printable ASCII (RFC 6749 Appendix A)`);
  }
  return value;
}
