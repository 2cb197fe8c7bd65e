import { randomBytes } from '#crypto-backend';
import { ASYMMETRIC_ALGORITHMS, isPlainObject, parseSecret } from '../jws/jose-rules.js';
import {
  assertKnownKeys, assertObject, knownKeys, readBoolean, readNumber, toStringList,
} from '../options/validate.js';

/** The `dpop` option: its type, defaults and parser together. */

/**
 * DPoP (RFC 9449): sender-constrained tokens. A token with `cnf.jkt` (or an introspection response
 * with `token_type: DPoP`) is accepted only as `Authorization: DPoP <token>` with exactly one
 * `DPoP` proof header that passes every RFC 9449 §4.3 check, covers this token (`ath`), was signed
 * by the key the token is bound to, and was not seen before (`jti`, via the guard's `store`).
 *
 * Validated at start-up (`TypeError` naming `dpop.<option>`; unknown options rejected).
 * Deliberately not done: refresh-token binding and token-endpoint proofs (authorization-server
 * concerns), and trusting a proof's `kid`/`x5c`/`jku` — the key is always the embedded `jwk`.
 */
export interface DpopOptions {
  /**
   * Reject every token that is not DPoP-bound, and advertise only the `DPoP` scheme in challenges.
   * Default false: bearer tokens still work, DPoP-bound tokens need a proof.
   */
  required?: boolean;
  /**
   * Proof JWS algorithms accepted (RFC 9449 §4.3 check 5), advertised in `DPoP algs="…"`. Asymmetric
   * only: `none` and `HS*` are refused at start-up. Default ES256, ES384, ES512, PS256, PS384,
   * PS512, RS256, RS384, RS512, EdDSA, Ed25519.
   */
  algorithms?: string[];
  /**
   * Longest accepted proof age in seconds, measured from its `iat` (plus `dpop.clockTolerance`).
   * It also sets the replay window: a proof's `jti` is remembered for `proofMaxAge` + 2 ×
   * `dpop.clockTolerance` seconds (with `nonce` on, at most two nonce lifetimes). Default 300.
   */
  proofMaxAge?: number;
  /**
   * Leeway for a proof's `iat`, in seconds, in both directions: clients' clocks drift, and proofs
   * dated up to this far in the future (or past `proofMaxAge`) are accepted. Separate from the
   * guard's `clockTolerance`, which applies to access tokens. Default 10 (the OpenID FAPI 2.0
   * conformance suite checks ±10 s).
   */
  clockTolerance?: number;
  /**
   * Most proofs one DPoP key may present per replay window (counted with the store's atomic
   * `increment`, across every process sharing the store). Past it, requests with that key get a
   * 503 with `Retry-After` until the window ends, while every other key keeps working: one client
   * cannot fill the replay store for all (each accepted proof leaves a marker for the whole
   * window). Default 10,000 — about 32 requests per second per key at the default window; raise
   * it for busy machine clients, or shrink the window with `proofMaxAge` or `nonce`. Not enforced
   * with a custom store that has no `increment`.
   */
  maxProofsPerKey?: number;
  /**
   * Most proofs the keys of one client may present together per replay window (the client is the
   * token's issuer and client id, `clientIdClaim`; tokens naming no client share one count per
   * issuer). A client can hold many keys, one per token it asks for, so the per-key quota alone
   * does not stop one client from filling the replay store for everyone; this does. Past it, the
   * client's requests get a 503 with `Retry-After` until the window ends. Default 10,000, a tenth
   * of the memory store's DPoP partition (`maxMarkers`, 100,000). Needs a store with `increment`
   * or `addCounted`, like `maxProofsPerKey`.
   */
  maxProofsPerClient?: number;
  /**
   * Server nonces (RFC 9449 §9). Default off. When on, a proof without a current nonce gets
   * 401 `DPoP error="use_dpop_nonce"` with a fresh `DPoP-Nonce` header, and a successful response
   * carries the next nonce (`DPoP-Nonce`, with `Cache-Control: no-store`) once the nonce has rotated.
   * Nonces are stateless (HMAC-SHA256 of a time step): `true` uses a random per-process secret;
   * `{ secret }` (≥ 32 bytes) lets every process that shares it accept the others' nonces.
   * `lifetime` is the time step in seconds (default 300): a nonce stays valid in its step and the
   * next, i.e. for `lifetime` to 2 × `lifetime` seconds.
   *
   * Browser clients across origins can read the headers only if CORS exposes them:
   * `Access-Control-Expose-Headers: DPoP-Nonce, WWW-Authenticate`.
   */
  nonce?: boolean | { secret: string | Uint8Array; lifetime?: number };
  /**
   * Public base URL (e.g. `https://api.example.com`, optionally with a path prefix that a proxy
   * strips) used for the proof's `htu` instead of the request's own scheme and host; the request
   * path is appended. Default: the request URL as the adapter built it. The request's `Host` is
   * client-controlled: the adapters build the origin from the framework's trust-proxy settings
   * (Express `trust proxy`, Koa `app.proxy`), so set this whenever those are not configured
   * exactly for your proxies.
   */
  baseUrl?: string;
}

/**
 * DPoP proof algorithms accepted by default, and the only ones `dpop.algorithms` may list:
 * asymmetric only (RFC 9449 §4.3 check 5) — never `none`, never HMAC.
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze(
  // ECDSA first: the order is the preference advertised in `DPoP algs="…"`.
  ['ES', 'PS', 'RS', 'Ed'].flatMap((family) => ASYMMETRIC_ALGORITHMS.filter((alg) => alg.startsWith(family))),
);

/** Default `dpop.proofMaxAge`, in seconds. */
export const DEFAULT_PROOF_MAX_AGE = 300;

/**
 * Default `dpop.clockTolerance`, in seconds: proofs dated up to this far before or after now are
 * accepted (the OpenID FAPI 2.0 conformance suite sends proofs 10 s off in both directions).
 */
export const DEFAULT_PROOF_CLOCK_TOLERANCE = 10;

/** Default `dpop.maxProofsPerKey`: proofs one key may present per replay window. */
export const DEFAULT_MAX_PROOFS_PER_KEY = 10_000;

/** Default `dpop.maxProofsPerClient`: proofs the keys of one client may present per replay window. */
export const DEFAULT_MAX_PROOFS_PER_CLIENT = 10_000;

/** Default `dpop.nonce.lifetime` (the nonce time step), in seconds. */
export const DEFAULT_NONCE_LIFETIME = 300;

/** Least `dpop.nonce.secret` size, in bytes (HMAC-SHA256 key, RFC 2104 §3 / RFC 7518 §3.2). */
export const MIN_NONCE_SECRET_BYTES = 32;

const KNOWN_DPOP_OPTIONS = knownKeys<DpopOptions>()(['required', 'algorithms', 'proofMaxAge', 'clockTolerance', 'maxProofsPerKey', 'maxProofsPerClient', 'nonce', 'baseUrl']);

/** Validated `dpop.nonce` settings. */
export interface NonceSettings {
  secret: Uint8Array;
  /** Time step in seconds. */
  lifetime: number;
}

/** The `dpop` option after validation and defaults; internal. */
export interface DpopSettings {
  required: boolean;
  algorithms: readonly string[];
  /** Seconds. */
  proofMaxAge: number;
  /** Seconds. */
  clockTolerance: number;
  maxProofsPerKey: number;
  maxProofsPerClient: number;
  /** Origin and path prefix, without a trailing `/`. */
  baseUrl: string | undefined;
  /** `undefined`: nonces off. */
  nonce: NonceSettings | undefined;
}

/**
 * Validates `dpop` at start-up (`TypeError` naming `dpop.<option>`; unknown names rejected) and
 * applies the defaults (`defaultAlgorithms`: the `algorithms` default, a preset's). `true` and
 * absent both mean "on with defaults"; `false` turns DPoP off
 * (`undefined`: DPoP-bound tokens are then refused, and the `DPoP` scheme is not recognised).
 */
export function resolveDpopOptions(
  value: DpopOptions | boolean | undefined,
  defaultAlgorithms: readonly string[] = DEFAULT_DPOP_ALGORITHMS,
): DpopSettings | undefined {
  if (value === false) return undefined;
  const options = value === true || value === undefined ? {} : value;
  assertObject(options, 'dpop');
  assertKnownKeys(options, KNOWN_DPOP_OPTIONS, 'dpop');
  let algorithms = defaultAlgorithms;
  if (options.algorithms !== undefined) {
    algorithms = toStringList(options.algorithms, 'dpop.algorithms');
    for (const alg of algorithms) {
      if (!DEFAULT_DPOP_ALGORITHMS.includes(alg)) {
        throw new TypeError(
          `resource-guard: "dpop.algorithms" contains "${alg}"; DPoP proofs need an asymmetric algorithm (${DEFAULT_DPOP_ALGORITHMS.join(', ')})`,
        );
      }
    }
  }
  return {
    required: readBoolean(options.required, 'dpop.required', false),
    algorithms: Object.freeze([...algorithms]),
    proofMaxAge: readNumber(options.proofMaxAge, 'dpop.proofMaxAge', DEFAULT_PROOF_MAX_AGE, 1),
    clockTolerance: readNumber(options.clockTolerance, 'dpop.clockTolerance', DEFAULT_PROOF_CLOCK_TOLERANCE),
    maxProofsPerKey: readNumber(options.maxProofsPerKey, 'dpop.maxProofsPerKey', DEFAULT_MAX_PROOFS_PER_KEY, 1),
    maxProofsPerClient: readNumber(options.maxProofsPerClient, 'dpop.maxProofsPerClient', DEFAULT_MAX_PROOFS_PER_CLIENT, 1),
    baseUrl: readBaseUrl(options.baseUrl),
    nonce: readNonceOption(options.nonce),
  };
}

/**
 * Validates `dpop.nonce` (start-up, `TypeError` naming the option): `undefined`/`false` → off,
 * `true` → a random 32-byte secret for this process, `{ secret, lifetime? }` → a shared secret of
 * at least {@link MIN_NONCE_SECRET_BYTES} bytes (UTF-8 for strings) and a step in seconds (≥ 1).
 */
export function readNonceOption(value: unknown): NonceSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { secret: randomBytes(MIN_NONCE_SECRET_BYTES), lifetime: DEFAULT_NONCE_LIFETIME };
  if (!isPlainObject(value)) {
    throw new TypeError('resource-guard: "dpop.nonce" must be a boolean or { secret, lifetime? }');
  }
  assertKnownKeys(value, ['secret', 'lifetime'], 'dpop.nonce');
  const { secret, lifetime } = value as { secret?: unknown; lifetime?: unknown };
  return {
    secret: parseSecret(secret, 'dpop.nonce.secret', MIN_NONCE_SECRET_BYTES),
    lifetime: readNumber(lifetime, 'dpop.nonce.lifetime', DEFAULT_NONCE_LIFETIME, 1),
  };
}
function readBaseUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')
    || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError('resource-guard: "dpop.baseUrl" must be an absolute http(s) URL without credentials, query or fragment');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
