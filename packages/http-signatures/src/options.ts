import type { AuthContext, JsonWebKey, Store } from '@resource-guard/core';
import { assertKnownKeys, assertObject, isStore, readNumber, type MaybePromise } from '@resource-guard/core/adapter';
import { FAPI_ALGORITHMS, SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './algorithms.js';
import { DEFAULT_SIGNATURE_HEADER_LIMITS, type SignatureHeaderLimits } from './signature-headers.js';

/** A JSON Web Key Set (RFC 7517 §5): the public keys of the clients that sign requests. */
export interface KeySet {
  keys: readonly JsonWebKey[];
}

/** The tag FAPI 2.0 Message Signing gives request signatures. */
export const FAPI_REQUEST_TAG = 'fapi-2-request';
/** The tag FAPI 2.0 Message Signing gives response signatures. */
export const FAPI_RESPONSE_TAG = 'fapi-2-response';

/** Options of {@link createRequestSignatureVerifier}. */
export interface RequestSignatureVerifierOptions {
  /**
   * The clients' public keys, looked up by the signature's `keyid`: a key set, or a function of
   * the request's verified token (e.g. the keys registered for `auth.clientId`), called per
   * request (cache in it). A signature without `keyid` uses the set's only key. A function that
   * throws or rejects gives a 503 (`ERR_HTTPSIG_KEYS_UNAVAILABLE`), never a pass.
   */
  keys?: KeySet | ((auth: AuthContext | undefined) => MaybePromise<KeySet | undefined>);
  /**
   * Whether the verified token's own key may verify: `cnf.jwk`, or for a DPoP-bound token
   * (`cnf.jkt`) the key of the request's DPoP proof (which the guard matched to `cnf.jkt`).
   * Default `true`. A `keyid` found in `keys` wins.
   */
  confirmationKey?: boolean;
  /**
   * Algorithms a key may use (its JWK `alg`, else its type: RSA → PS256, EC P-256 → ES256,
   * Ed25519 → EdDSA). Default PS256, ES256, EdDSA (FAPI 2.0 Security Profile §5.4.1).
   */
  algorithms?: readonly SignatureAlgorithm[];
  /** The `tag` parameter a request signature must carry. Default `"fapi-2-request"`. */
  tag?: string;
  /** How old `created` may be, in seconds. Default 300. */
  maxAge?: number;
  /** Allowed clock skew, in seconds, for `created` in the future and `expires` in the past. Default 10. */
  clockTolerance?: number;
  /**
   * Components that must be covered besides the FAPI ones (`@method`, `@target-uri`,
   * `authorization`, `dpop` when present, `content-digest` with a body). Plain identifiers,
   * lower case (e.g. `["content-type"]`). Default none.
   */
  requiredComponents?: readonly string[];
  /** Bounds on `Signature-Input` and `Signature` (see {@link SignatureHeaderLimits}). */
  limits?: SignatureHeaderLimits;
  /**
   * Refuse a signed request seen before (RFC 9421 §7.2.2, signature replay): see
   * {@link ReplayOptions}. Default none: a captured request verifies again until its `created`
   * is older than `maxAge` plus `clockTolerance`.
   */
  replay?: ReplayOptions;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  clock?: () => number;
}

/**
 * The replay guard of request signatures (RFC 9421 §7.2.2). Each signature that verifies is
 * recorded with the store's atomic `add` under a hash of its value, for as long as it would still
 * be accepted (until `created` + `maxAge`, or `expires` if sooner, plus `clockTolerance`, plus
 * `clockTolerance` again for the clocks of the processes sharing the store); the same signature
 * again is 401 `ERR_HTTPSIG_REPLAYED`. A store that throws, rejects or answers other than a
 * boolean is 503 `ERR_HTTPSIG_REPLAY_STORE_UNAVAILABLE`, never a pass. Only signatures that
 * verified reach the store: an unsigned or forged request costs no write.
 */
export interface ReplayOptions {
  /**
   * Where signatures are recorded: core's `Store` (`createMemoryStore()` for one process, the
   * Redis store of `@resource-guard/redis` for several). Keys are `httpsig:` and a SHA-256 hash,
   * never a signature or a token. Required.
   */
  store: Store;
  /**
   * Refuse signatures without a `nonce` parameter (RFC 9421 §2.3), 401 `ERR_HTTPSIG_NONCE_MISSING`.
   * Default `false`: FAPI 2.0 Message Signing does not ask clients for one. Set it where clients
   * send one: with a deterministic algorithm (EdDSA) the same request signed twice in one second
   * has the same signature, which the guard refuses as a replay unless a nonce sets them apart.
   */
  requireNonce?: boolean;
}

/** {@link ReplayOptions}, checked and with their defaults. */
export interface ResolvedReplayOptions {
  store: Store;
  requireNonce: boolean;
}

const REPLAY_OPTION_KEYS = ['store', 'requireNonce'] as const satisfies ReadonlyArray<keyof ReplayOptions>;
type MissingReplayKey = Exclude<keyof ReplayOptions, typeof REPLAY_OPTION_KEYS[number]>;
const replayKeysComplete: [MissingReplayKey] extends [never] ? true : MissingReplayKey = true;
void replayKeysComplete;

/** Checks the `replay` option: `undefined` (no replay guard) or `{ store, requireNonce? }`; a bad one throws a `TypeError` naming it. */
export function readReplayOptions(value: ReplayOptions | undefined): ResolvedReplayOptions | undefined {
  if (value === undefined) return undefined;
  assertObject(value, 'replay');
  assertKnownKeys(value, REPLAY_OPTION_KEYS, 'replay');
  if (!isStore(value.store)) throw new TypeError('resource-guard: "replay.store" must be a Store (get, set, add), such as createMemoryStore()');
  if (value.requireNonce !== undefined && typeof value.requireNonce !== 'boolean') throw new TypeError('resource-guard: "replay.requireNonce" must be a boolean');
  return { store: value.store, requireNonce: value.requireNonce ?? false };
}

/** The options of {@link createRequestSignatureVerifier}, checked and with their defaults. */
export interface ResolvedVerifierOptions {
  keys: RequestSignatureVerifierOptions['keys'];
  confirmationKey: boolean;
  algorithms: readonly SignatureAlgorithm[];
  tag: string;
  maxAge: number;
  clockTolerance: number;
  requiredComponents: readonly string[];
  limits: Required<SignatureHeaderLimits>;
  replay: ResolvedReplayOptions | undefined;
  clock: () => number;
}

const VERIFIER_OPTION_KEYS = [
  'keys', 'confirmationKey', 'algorithms', 'tag', 'maxAge', 'clockTolerance', 'requiredComponents', 'limits', 'replay', 'clock',
] as const satisfies ReadonlyArray<keyof RequestSignatureVerifierOptions>;
// Fails to compile when an option is added to the interface but not to the list above.
type MissingVerifierKey = Exclude<keyof RequestSignatureVerifierOptions, typeof VERIFIER_OPTION_KEYS[number]>;
const verifierKeysComplete: [MissingVerifierKey] extends [never] ? true : MissingVerifierKey = true;
void verifierKeysComplete;

/** Checks `algorithms` against the ones this package implements; a bad one throws a `TypeError` naming it. */
export function readAlgorithms(value: unknown, name: string): readonly SignatureAlgorithm[] {
  if (value === undefined) return FAPI_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0 || value.some((alg) => !SIGNATURE_ALGORITHMS.includes(alg as SignatureAlgorithm))) {
    throw new TypeError(`resource-guard: "${name}" must be a non-empty list of ${SIGNATURE_ALGORITHMS.join(', ')}`);
  }
  return Object.freeze([...value] as SignatureAlgorithm[]);
}

function readKeySet(value: unknown, name: string): void {
  if (value === undefined || typeof value === 'function') return;
  if (typeof value !== 'object' || value === null || !Array.isArray((value as KeySet).keys)) {
    throw new TypeError(`resource-guard: "${name}" must be a JWK set ({ keys: [...] }) or a function returning one`);
  }
}

/** Validates the verifier's options once, at start-up: an unknown or bad option throws a `TypeError` naming it. */
export function resolveVerifierOptions(options: RequestSignatureVerifierOptions = {}): ResolvedVerifierOptions {
  assertObject(options, 'options');
  assertKnownKeys(options, VERIFIER_OPTION_KEYS, '');
  readKeySet(options.keys, 'keys');
  if (options.confirmationKey !== undefined && typeof options.confirmationKey !== 'boolean') {
    throw new TypeError('resource-guard: "confirmationKey" must be a boolean');
  }
  if (options.keys === undefined && options.confirmationKey === false) {
    throw new TypeError('resource-guard: "keys" is required when "confirmationKey" is false (no key could verify)');
  }
  if (options.tag !== undefined && (typeof options.tag !== 'string' || options.tag === '')) throw new TypeError('resource-guard: "tag" must be a non-empty string');
  const required = options.requiredComponents ?? [];
  if (!Array.isArray(required) || required.some((c) => typeof c !== 'string' || c === '' || c !== c.toLowerCase())) {
    throw new TypeError('resource-guard: "requiredComponents" must be a list of lower-case component names');
  }
  assertObject(options.limits, 'limits');
  const limits: SignatureHeaderLimits = options.limits ?? {};
  assertKnownKeys(limits, Object.keys(DEFAULT_SIGNATURE_HEADER_LIMITS), 'limits');
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('resource-guard: "clock" must be a function');
  return {
    keys: options.keys,
    confirmationKey: options.confirmationKey ?? true,
    algorithms: readAlgorithms(options.algorithms, 'algorithms'),
    tag: options.tag ?? FAPI_REQUEST_TAG,
    maxAge: readNumber(options.maxAge, 'maxAge', 300),
    clockTolerance: readNumber(options.clockTolerance, 'clockTolerance', 10),
    requiredComponents: Object.freeze([...required]),
    limits: {
      maxFieldLength: readNumber(limits.maxFieldLength, 'limits.maxFieldLength', DEFAULT_SIGNATURE_HEADER_LIMITS.maxFieldLength, 1),
      maxSignatures: readNumber(limits.maxSignatures, 'limits.maxSignatures', DEFAULT_SIGNATURE_HEADER_LIMITS.maxSignatures, 1),
      maxComponents: readNumber(limits.maxComponents, 'limits.maxComponents', DEFAULT_SIGNATURE_HEADER_LIMITS.maxComponents, 1),
    },
    replay: readReplayOptions(options.replay),
    clock: options.clock ?? Date.now,
  };
}
