import type { GuardError } from '../errors/errors.js';
import type { VerificationKey } from '../jws/jws.js';
import { isPlainObject } from '../jws/jose-rules.js';
import type { DpopSettings } from '../dpop/options.js';
import type { MtlsSettings } from '../mtls/options.js';

/**
 * The FAPI 2.0 Security Profile (OpenID Foundation, final, February 2025) as it binds a resource
 * server: what the `fapi: '2.0'` preset sets by default, what it refuses at start-up, and the
 * clause each per-request refusal names. The clauses are cited as the conformance suite does:
 * section, then item (`§5.3.4-2` is item 2 of §5.3.4, "Requirements for resource servers").
 * docs/fapi.md maps each rule to its clause and to the conformance-suite test that checks it.
 *
 * Deliberately not here: the authorization server's clauses (PAR, PKCE, client authentication,
 * token lifetimes), TLS settings (the server's, not middleware's), and message signing (FAPI 2.0
 * Message Signing, a separate package).
 */

/** The clauses the preset enforces, by the rule they back. */
export const FAPI2_CLAUSES = Object.freeze({
  headerOnly: 'FAPI 2.0 Security Profile §5.3.4-1, §5.3.4-2',
  verify: 'FAPI 2.0 Security Profile §5.3.4-3',
  authorization: 'FAPI 2.0 Security Profile §5.3.4-4',
  senderConstrained: 'FAPI 2.0 Security Profile §5.3.4-5',
  algorithms: 'FAPI 2.0 Security Profile §5.4.1-1',
  rsaKeys: 'FAPI 2.0 Security Profile §5.4.1-2',
  clock: 'FAPI 2.0 Security Profile §5.3.2.1-13',
  tls: 'FAPI 2.0 Security Profile §5.2.1-1',
});

/**
 * JWS algorithms FAPI 2.0 allows (§5.4.1-1.2): PS256, ES256, EdDSA with Ed25519 only, and the
 * fully-specified `Ed25519` (RFC 9864), which the note to §5.4.1 admits once registered. The
 * order is the preference advertised in `DPoP algs="…"`.
 */
export const FAPI2_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'PS256', 'EdDSA', 'Ed25519']);

/**
 * Least and largest `dpop.clockTolerance` under the preset, in seconds. §5.3.2.1-13 asks
 * authorization servers to accept JWTs dated up to 10 s in the future and to refuse those more
 * than 60 s ahead; the conformance suite holds resource servers to the same window for DPoP
 * proofs (`...-ensure-dpopproof-with-iat-10seconds-before-succeeds`, `...-after-succeeds`).
 */
export const FAPI2_PROOF_CLOCK_TOLERANCE = Object.freeze({ min: 10, max: 60 });

/** Largest `clockTolerance` (access tokens) under the preset, in seconds (§5.3.2.1-13's 60 s). */
export const FAPI2_MAX_CLOCK_TOLERANCE = 60;

/**
 * Largest `dpop.proofMaxAge` under the preset, in seconds: the default. FAPI sets no number; the
 * conformance suite's DPoP negative tests expect a proof one hour old to be refused, and an old
 * proof is the replay risk the profile's security considerations ("DPoP proof replay") name.
 */
export const FAPI2_MAX_PROOF_AGE = 300;

/** The options the preset judges, as the user gave them and as they were resolved. */
export interface FapiCheckInput {
  /** The raw options (only their explicit `false` settings are read here). */
  raw: { dpop?: unknown; mtls?: unknown; tokenLocations?: unknown; secret?: unknown; allowInsecureRequests?: unknown };
  algorithms: ReadonlySet<string>;
  tokenLocations: ReadonlySet<string>;
  clockTolerance: number;
  dpop: DpopSettings | undefined;
  mtls: MtlsSettings | undefined;
}

function refuse(option: string, why: string, clause: string): never {
  throw new TypeError(`resource-guard: ${option} contradicts fapi "2.0": ${why} (${clause})`);
}

/**
 * Start-up refusals of the preset: every option that would let through what FAPI 2.0 forbids is
 * a `TypeError` naming the option and the clause. Called once the options are resolved (with the
 * preset's defaults), so that only settings the user wrote can fail.
 */
export function assertFapi2Options(input: FapiCheckInput): void {
  const { raw } = input;
  for (const location of input.tokenLocations) {
    if (location !== 'header') {
      refuse(`"tokenLocations" with "${location}"`, 'access tokens are accepted in the Authorization header only', FAPI2_CLAUSES.headerOnly);
    }
  }
  if (raw.secret !== undefined) refuse('"secret"', 'HS* (shared-secret) signatures are not among PS256, ES256, EdDSA', FAPI2_CLAUSES.algorithms);
  for (const alg of input.algorithms) {
    if (!FAPI2_ALGORITHMS.includes(alg)) refuse(`"algorithms" with "${alg}"`, `only ${FAPI2_ALGORITHMS.join(', ')} are allowed`, FAPI2_CLAUSES.algorithms);
  }
  if (raw.allowInsecureRequests === true) refuse('"allowInsecureRequests: true"', 'connections to other servers use TLS', FAPI2_CLAUSES.tls);
  if (input.clockTolerance > FAPI2_MAX_CLOCK_TOLERANCE) {
    refuse(`"clockTolerance: ${input.clockTolerance}"`, `at most ${FAPI2_MAX_CLOCK_TOLERANCE} s of clock skew are accepted`, FAPI2_CLAUSES.clock);
  }
  const { dpop, mtls } = input;
  if (dpop === undefined && mtls === undefined) {
    refuse('"dpop: false" with "mtls: false"', 'sender-constrained tokens (DPoP or mTLS) must be supported and verified', FAPI2_CLAUSES.senderConstrained);
  }
  if (isPlainObject(raw.dpop) && raw.dpop.required === false) {
    refuse('"dpop.required: false"', 'tokens without a sender constraint are refused (certificate-bound tokens stay accepted while "mtls" is on)', FAPI2_CLAUSES.senderConstrained);
  }
  if (isPlainObject(raw.mtls) && raw.mtls.required === false) {
    refuse('"mtls.required: false"', 'tokens without a sender constraint are refused (DPoP-bound tokens stay accepted while "dpop" is on)', FAPI2_CLAUSES.senderConstrained);
  }
  if (dpop !== undefined) {
    for (const alg of dpop.algorithms) {
      if (!FAPI2_ALGORITHMS.includes(alg)) refuse(`"dpop.algorithms" with "${alg}"`, `only ${FAPI2_ALGORITHMS.join(', ')} are allowed`, FAPI2_CLAUSES.algorithms);
    }
    const { min, max } = FAPI2_PROOF_CLOCK_TOLERANCE;
    if (dpop.clockTolerance < min || dpop.clockTolerance > max) {
      refuse(`"dpop.clockTolerance: ${dpop.clockTolerance}"`, `proofs dated up to ${min} s ahead must be accepted and none more than ${max} s ahead`, FAPI2_CLAUSES.clock);
    }
    if (dpop.proofMaxAge > FAPI2_MAX_PROOF_AGE) {
      refuse(`"dpop.proofMaxAge: ${dpop.proofMaxAge}"`, `proofs older than ${FAPI2_MAX_PROOF_AGE} s are refused under the preset`, FAPI2_CLAUSES.clock);
    }
  }
}

/**
 * Why `key` may not verify anything under FAPI 2.0, or `undefined` when it may. RSA keys under
 * 2048 bits (§5.4.1-2) never get this far (`importPublicJwk` refuses them for everyone) and the
 * allowed ECDSA algorithm, ES256, only takes P-256 keys (256 bits, above §5.4.1-3's 224): what
 * is left is EdDSA, which FAPI allows with Ed25519 keys only (§5.4.1-1.2), never Ed448.
 */
export function describeFapi2KeyRefusal(key: VerificationKey): string | undefined {
  return key.keyType === 'okp' && key.curve !== 'Ed25519'
    ? `the key is an OKP key on curve ${JSON.stringify(String(key.curve))}; EdDSA is allowed with Ed25519 only (${FAPI2_CLAUSES.algorithms})`
    : undefined;
}

// The rule behind each code, for the clause a rejection's detail names. Codes not listed (a
// missing token, a malformed request) are RFC 6750 matters that the preset does not change.
const CLAUSE_BY_CODE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^ERR_(JWT|DPOP)_ALG_NOT_ALLOWED$|^ERR_FAPI_KEY_NOT_ALLOWED$|^ERR_DPOP_JWK_ALG_MISMATCH$/, FAPI2_CLAUSES.algorithms],
  [/^ERR_JWKS_NO_MATCHING_KEY$|^ERR_DPOP_JWK_INVALID$/, `${FAPI2_CLAUSES.rsaKeys}: RSA keys under 2048 bits are never used`],
  [/^ERR_DPOP_IAT_(EXPIRED|FUTURE)$|^ERR_TOKEN_IAT_IN_FUTURE$|^ERR_TOKEN_NOT_YET_VALID$/, FAPI2_CLAUSES.clock],
  [/^ERR_(DPOP|MTLS|FAPI)_/, FAPI2_CLAUSES.senderConstrained],
  [/^ERR_(SCOPE|CLAIMS)_INSUFFICIENT$/, FAPI2_CLAUSES.authorization],
  [/^ERR_(TOKEN|JWT|JWS|JWKS|JWE|INTROSPECTION)_/, FAPI2_CLAUSES.verify],
];

/**
 * `error` with the FAPI 2.0 clause behind its check added to its `detail` (for logs; never sent):
 * the operator of a FAPI API sees which clause a client broke. Errors of no FAPI rule are returned
 * as they are.
 */
export function annotateFapi2Clause(error: GuardError): GuardError {
  // 5xx are the authorization server's or the store's failures, not a client's breach of a clause.
  if (error.status >= 500 || error.detail?.includes('FAPI 2.0 Security Profile §') === true) return error;
  const clause = CLAUSE_BY_CODE.find(([pattern]) => pattern.test(error.code))?.[1];
  if (clause === undefined) return error;
  return error.withDetail(`${error.detail === undefined ? error.message : error.detail} [${clause}]`);
}
