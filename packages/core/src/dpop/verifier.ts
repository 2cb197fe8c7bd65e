import { sha256Base64Url } from '../lib/digest.js';
import {
  InvalidDpopProofError, InvalidRequestError, InvalidTokenError, UpstreamUnavailableError, UseDpopNonceError,
} from '../errors/errors.js';
import { createDpopNonces, type DpopNonces } from './nonce.js';
import { recordProof } from './replay-marker.js';
import { createProofHeaderCache, verifyDpopProofWith, type DpopProof } from './proof.js';
import type { ResolvedOptions } from '../options/guard-options.js';
import type { DpopSettings } from './options.js';
import { readHeaderValues, type GuardRequest } from '../http/request.js';
import { readRequestTarget } from '../http/request-url.js';
import { describeFapi2KeyRefusal } from '../fapi/fapi-2.js';

export {
  accessTokenHash, createProofHeaderCache, jwkThumbprint, normalizeHttpUri, verifyDpopProof, verifyDpopProofOffloaded,
} from './proof.js';
export type { DpopProof, DpopProofExpectations, ProofHeaderCache } from './proof.js';
export {
  DEFAULT_DPOP_ALGORITHMS, DEFAULT_MAX_PROOFS_PER_KEY, DEFAULT_PROOF_CLOCK_TOLERANCE, DEFAULT_PROOF_MAX_AGE,
} from './options.js';

/** Prefix of the replay-guard keys in the store; the rest is a SHA-256 of the proof key's thumbprint and `jti`. */
export const JTI_KEY_PREFIX = 'dpop:jti:';

/** Prefix of the per-key proof counters in the store; the rest is a SHA-256 of the proof key's thumbprint. */
export const QUOTA_KEY_PREFIX = 'dpop:quota:';

/** Prefix of the per-client proof counters (`dpop.maxProofsPerClient`): a hash of issuer and client id follows. */
export const CLIENT_QUOTA_KEY_PREFIX = 'dpop:client-quota:';

/** Checks DPoP proofs for one guard (RFC 9449 §4.3, §7.1, §9, §11.1). */
export interface DpopVerifier {
  /** `dpop.required`: only DPoP-bound tokens are accepted. */
  readonly required: boolean;
  /** Accepted proof algorithms, in configuration order, for `DPoP algs="…"`. */
  readonly algorithms: readonly string[];
  /**
   * Verifies the request's single `DPoP` header as a proof for `token`, bound to the RFC 7638
   * thumbprint `jkt` (the token's `cnf.jkt`). Resolves to headers for the successful response
   * (`DPoP-Nonce` + `Cache-Control: no-store` when the nonce rotated); rejects with
   * `InvalidDpopProofError`, `UseDpopNonceError` (its `headers` carry a fresh `DPoP-Nonce`),
   * `InvalidTokenError` (`ERR_DPOP_BINDING_MISMATCH`) or, when the store fails, a 503.
   */
  verify(request: GuardRequest, token: string, jkt: string, proof?: DpopProof, client?: string): Promise<Record<string, string>>;
  /**
   * Steps 1-2 only (one `DPoP` header, every stateless proof check, `ath` for `token`): what can be
   * judged before the token itself is validated, so that a bad proof costs no JWKS fetch and no
   * introspection call. Pass the result to `verify` to skip those steps there. The proof's
   * signature is checked where `offloadSignatures` says (in place, on the thread pool, or `'auto'`).
   */
  checkProof(request: GuardRequest, token: string): Promise<DpopProof>;
}

/**
 * Creates the verifier from the resolved `dpop` settings (see `resolveDpopOptions`). Per request,
 * in order (cheap and stateless first, the replay store last, so rejected proofs never fill it):
 * 1. exactly one `DPoP` header field (two fields, or one with a comma — Node's join of duplicates —
 *    is `ERR_DPOP_PROOF_MULTIPLE`); none is `ERR_DPOP_PROOF_MISSING`;
 * 2. the stateless proof checks of {@link verifyDpopProof}, with `htm` = the request method and
 *    `htu` = the request URL, or `dpop.baseUrl` + the request path when that is set;
 * 3. thumbprint of the proof's `jwk` = the token's `cnf.jkt` (else `invalid_token`,
 *    `ERR_DPOP_BINDING_MISMATCH`, RFC 9449 §7.1);
 * 4. with nonces on: `nonce` of the current or previous step, else `use_dpop_nonce` (§9);
 * 5. at most `maxProofsPerKey` proofs per key and replay window (an atomic `store.increment()`
 *    under a key hashed from the thumbprint): one client flooding its own key cannot fill the
 *    replay store for everyone; past the quota that key alone gets a 503 with `Retry-After`
 *    (fail closed) until its window ends. Skipped with a store that has neither `increment` nor
 *    `addCounted`. Steps 5 and 6 are one store call with a store that has `addCounted` (the Redis
 *    store: one script); see `recordProof` for the others;
 * 6. `jti` unseen: an atomic `store.add()` under a key hashed from thumbprint and `jti`, kept for
 *    the whole window in which the proof can still be accepted — `proofMaxAge` + 2 ×
 *    `dpop.clockTolerance`, or with nonces on at most two nonce lifetimes (an older nonce is
 *    refused anyway) — so of two concurrent uses exactly one passes (§11.1).
 * All times come from the guard's `clock`.
 *
 * Deliberately not checked: that the client's clock is right beyond `dpop.clockTolerance` (no
 * server `iat` offset is learned), nonce binding to a client, or the URL's query string (RFC 9449 §4.3).
 */
export function createDpopVerifier(
  settings: DpopSettings,
  guard: Pick<ResolvedOptions, 'clock' | 'store' | 'offloadSignatures' | 'telemetry'> & Partial<Pick<ResolvedOptions, 'fapi'>>,
): DpopVerifier {
  const nonceSettings = settings.nonce;
  const nonces: DpopNonces | undefined = nonceSettings === undefined ? undefined : createDpopNonces(nonceSettings, guard.clock);
  const algorithms = new Set(settings.algorithms);
  const headers = createProofHeaderCache();
  const keyRefusal = guard.fapi === undefined ? undefined : describeFapi2KeyRefusal;
  // With nonces on, a nonce is accepted for at most two lifetimes after it was issued, so a replay
  // older than that is refused by the nonce check and its marker need not outlive it.
  const proofWindow = settings.proofMaxAge + 2 * settings.clockTolerance;
  const replayTtl = nonceSettings === undefined ? proofWindow : Math.min(proofWindow, 2 * nonceSettings.lifetime + settings.clockTolerance);
  const overQuota = (): never => {
    throw new UpstreamUnavailableError('Too many DPoP proofs for this key; retry later', 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED', {
      retryAfter: Math.ceil(replayTtl),
    });
  };

  async function checkProof(request: GuardRequest, token: string): Promise<DpopProof> {
    return verifyDpopProofWith(guard.offloadSignatures, readProofHeader(request), {
      method: request.method,
      url: effectiveUrl(request, settings.baseUrl),
      accessToken: token,
      algorithms,
      now: guard.clock() / 1000,
      maxAge: settings.proofMaxAge,
      clockTolerance: settings.clockTolerance,
      keyRefusal,
    }, headers);
  }

  return {
    required: settings.required,
    algorithms: settings.algorithms,
    checkProof,
    async verify(request, token, jkt, checked, client = '') {
      return judge(checked ?? await checkProof(request, token), jkt, client);
    },
  };

  // Steps 3-6, for a proof that passed the stateless checks.
  async function judge(proof: DpopProof, jkt: string, client: string): Promise<Record<string, string>> {
    if (proof.jkt !== jkt) {
      throw new InvalidTokenError('Invalid DPoP key binding', 'ERR_DPOP_BINDING_MISMATCH', {
        detail: 'the thumbprint of the proof\'s jwk differs from the token\'s cnf.jkt: the proof is signed by another key than the token is bound to',
      });
    }

    const success: Record<string, string> = {};
    if (nonces !== undefined) {
      const state = nonces.check(proof.nonce);
      if (state === 'invalid') {
        throw new UseDpopNonceError(undefined, {
          headers: { 'DPoP-Nonce': nonces.current(), 'Cache-Control': 'no-store' },
          detail: proof.nonce === undefined ? 'the proof has no nonce (dpop.nonce is on)' : 'the proof\'s nonce is stale or was not issued by this server',
        });
      }
      if (state === 'previous') Object.assign(success, { 'DPoP-Nonce': nonces.current(), 'Cache-Control': 'no-store' });
    }

    const recorded = await recordProof(guard.store, {
      marker: JTI_KEY_PREFIX + sha256Base64Url(`${proof.jkt}:${proof.jti}`),
      counter: QUOTA_KEY_PREFIX + sha256Base64Url(proof.jkt),
      ttl: replayTtl,
      limit: settings.maxProofsPerKey,
      clientCounter: CLIENT_QUOTA_KEY_PREFIX + sha256Base64Url(client),
      clientLimit: settings.maxProofsPerClient,
    }, guard.telemetry);
    if (recorded === 'over-quota') overQuota();
    if (recorded === 'replayed') replayed();
    return success;
  }
}

function replayed(): never {
  throw new InvalidDpopProofError('DPoP proof was already used (jti)', 'ERR_DPOP_JTI_REPLAYED', {
    detail: 'a proof with this jti and key was seen before: each request needs a fresh proof (RFC 9449 §11.1)',
  });
}

/** The one `DPoP` header value (RFC 9449 §4.3 check 1). */
function readProofHeader(request: GuardRequest): string {
  const values = readHeaderValues(request, 'dpop');
  if (values.length === 0) throw new InvalidDpopProofError('The DPoP header is missing', 'ERR_DPOP_PROOF_MISSING');
  if (values.length > 1 || values[0]!.includes(',')) {
    throw new InvalidDpopProofError('More than one DPoP proof was sent', 'ERR_DPOP_PROOF_MULTIPLE');
  }
  return values[0]!.trim();
}

/**
 * The URL the proof's `htu` must name: the request's own, or `baseUrl` + the request path (then
 * the `Host` header is never read). A request URL that does not parse is a 400, not a mismatch.
 */
function effectiveUrl(request: GuardRequest, baseUrl: string | undefined): string {
  if (baseUrl === undefined) {
    const { url } = request;
    if (!URL.canParse(url)) throw new InvalidRequestError('The request URL is invalid', 'ERR_REQUEST_URL_INVALID');
    return url;
  }
  const target = readRequestTarget(request);
  const query = target.indexOf('?');
  return baseUrl + (query < 0 ? target : target.slice(0, query));
}
