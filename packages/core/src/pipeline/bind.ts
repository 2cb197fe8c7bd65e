import type { Claims } from '../claims/claims.js';
import type { ClaimReader } from '../claims/claim-reader.js';
import { describeType } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { isPlainObject } from '../jws/jose-rules.js';
import type { Credentials } from './extract.js';
import { createDpopVerifier, type DpopProof } from '../dpop/verifier.js';
import { createCertificateBinding } from '../mtls/certificate-binding.js';
import type { ResolvedOptions } from '../options/guard-options.js';
import type { GuardRequest } from '../http/request.js';
import { FAPI2_CLAUSES } from '../fapi/fapi-2.js';

/** Sender-constraint checks of the pipeline (RFC 9449 DPoP, RFC 8705 mTLS). */
export interface SenderConstraint {
  /**
   * False when no token sent with the Bearer scheme can pass: `dpop.required`, or the FAPI preset
   * without mTLS (an unbound token is refused, and only certificate-bound tokens use Bearer).
   */
  readonly bearerAccepted: boolean;
  /** DPoP proof algorithms accepted, for `DPoP algs="…"`; `undefined` when DPoP is off. */
  readonly dpopAlgorithms: readonly string[] | undefined;
  /** Whether certificate-bound tokens (RFC 8705) are accepted. */
  readonly mtlsEnabled: boolean;
  /**
   * For a token {@link SenderConstraint.isBound} said is bound: rejects unless the request proves
   * possession (DPoP proof by `cnf.jkt`, client certificate by `cnf["x5t#S256"]`); resolves to
   * the success headers. Kept apart so that an unbound Bearer token (the common case) costs no `await`.
   */
  check(request: GuardRequest, credentials: Credentials, claims: Claims, proof?: DpopProof): Promise<Record<string, string>>;
  /**
   * The binding rules that need no I/O (scheme vs. `cnf`, `dpop.required`, `mtls.required`):
   * throws when one fails, returns whether the token is bound (then {@link check} must run).
   */
  isBound(credentials: Credentials, claims: Claims): boolean;
  /**
   * The DPoP proof checks that need nothing from the token's claims, run by the pipeline *before*
   * the token is validated (no JWKS fetch or introspection call for a request with a bad proof).
   * Only for requests that use the DPoP scheme; hand the result to `check`.
   */
  precheck(request: GuardRequest, credentials: Credentials): Promise<DpopProof>;
}

function readConfirmation(claims: Claims): Record<string, unknown> {
  const cnf = claims.cnf;
  return isPlainObject(cnf) ? cnf : {};
}

/**
 * Applies the binding rules (RFC 9449 §7.1-7.2, RFC 8705 §3), for JWTs and introspected tokens alike:
 * - `cnf["x5t#S256"]` → the request's client certificate must have that thumbprint;
 *   `mtls.required` rejects tokens without it;
 * - `cnf.jkt` (or introspected `token_type: DPoP`) → the DPoP scheme and a valid proof by that key
 *   are required; such a token sent as Bearer is rejected (no downgrade, `ERR_DPOP_BEARER_DOWNGRADE`);
 * - the DPoP scheme with a token that is not DPoP-bound → `invalid_token` (`ERR_DPOP_TOKEN_UNBOUND`);
 * - `dpop.required` rejects tokens that are not DPoP-bound;
 * - the FAPI preset (`fapi`) rejects tokens bound neither way (`ERR_FAPI_SENDER_CONSTRAINT_REQUIRED`,
 *   FAPI 2.0 Security Profile §5.3.4-5).
 * A binding the guard cannot check (DPoP or mTLS turned off) fails closed. A request that uses
 * Bearer with an unbound token is not rejected for also carrying a `DPoP` header (RFC 9449 leaves
 * it open; the header is ignored).
 */
export function createSenderConstraint(
  options: Pick<ResolvedOptions, 'dpop' | 'mtls' | 'clock' | 'store' | 'offloadSignatures' | 'telemetry' | 'fapi'>,
  readClaims: Pick<ClaimReader, 'clientId'>,
): SenderConstraint {
  const dpop = options.dpop === undefined ? undefined : createDpopVerifier(options.dpop, options);
  const mtls = options.mtls === undefined ? undefined : createCertificateBinding(options.mtls);
  const senderConstrained = options.fapi !== undefined;
  // Every rule that needs no I/O, so that nothing is left pending when one of them throws.
  function isBound(credentials: Credentials, claims: Claims): boolean {
    const cnf = readConfirmation(claims);
    const x5t = cnf['x5t#S256'];
    if (x5t !== undefined && mtls === undefined) {
      throw new InvalidTokenError('Certificate-bound tokens are not accepted here', 'ERR_MTLS_DISABLED', {
        detail: 'the token has cnf["x5t#S256"] (RFC 8705) and "mtls" is false: a binding that cannot be checked fails closed',
      });
    }
    if (x5t === undefined && mtls?.required === true) {
      throw new InvalidTokenError('Token is not bound to a client certificate', 'ERR_MTLS_REQUIRED', { detail: 'mtls.required is on and the token has no cnf["x5t#S256"]' });
    }
    const jkt = cnf.jkt;
    const dpopBound = jkt !== undefined || (typeof claims.token_type === 'string' && claims.token_type.toLowerCase() === 'dpop');
    if (credentials.scheme === 'DPoP') {
      if (!dpopBound) {
        throw new InvalidTokenError('Token is not DPoP-bound', 'ERR_DPOP_TOKEN_UNBOUND', {
          detail: 'the request uses the DPoP scheme, the token has no cnf.jkt (nor token_type "DPoP"): send it as Bearer',
        });
      }
      if (typeof jkt !== 'string') {
        throw new InvalidTokenError('Invalid DPoP key binding', 'ERR_DPOP_BINDING_INVALID', { detail: `cnf.jkt must be a string, found ${describeType(jkt)}` });
      }
      return true;
    }
    if (dpopBound) {
      throw new InvalidTokenError('DPoP-bound token sent as a bearer token', 'ERR_DPOP_BEARER_DOWNGRADE', {
        detail: 'the token is DPoP-bound (cnf.jkt or token_type "DPoP"): send it with "Authorization: DPoP" and a proof (RFC 9449 §7.1)',
      });
    }
    if (dpop?.required === true) {
      throw new InvalidTokenError('Only DPoP-bound tokens are accepted', 'ERR_DPOP_REQUIRED', { detail: 'dpop.required is on and the token has no cnf.jkt' });
    }
    if (x5t === undefined && senderConstrained) {
      throw new InvalidTokenError('Only sender-constrained tokens are accepted', 'ERR_FAPI_SENDER_CONSTRAINT_REQUIRED', {
        detail: `fapi is on and the token is bound neither to a DPoP key (cnf.jkt) nor to a client certificate (cnf["x5t#S256"]) (${FAPI2_CLAUSES.senderConstrained})`,
      });
    }
    return x5t !== undefined;
  }

  return {
    bearerAccepted: dpop?.required !== true && !(senderConstrained && mtls === undefined),
    dpopAlgorithms: dpop?.algorithms,
    mtlsEnabled: mtls !== undefined,
    isBound,
    precheck(request, credentials) {
      // The DPoP scheme is only recognised when DPoP is on, so `dpop` is defined here.
      return dpop!.checkProof(request, credentials.token);
    },
    async check(request, credentials, claims, checkedProof) {
      const cnf = readConfirmation(claims);
      const x5t = cnf['x5t#S256'];
      if (x5t !== undefined) await mtls!.check(request, x5t);
      if (credentials.scheme !== 'DPoP') return {};
      // The client whose proofs count together (`dpop.maxProofsPerClient`): issuer and client id.
      const client = `${typeof claims.iss === 'string' ? claims.iss : ''}\n${readClaims.clientId(claims) ?? ''}`;
      return dpop!.verify(request, credentials.token, cnf.jkt as string, checkedProof, client);
    },
  };
}
