import type { GuardRequest } from '../http/request.js';
import { assertKnownKeys, assertObject, knownKeys, readBoolean } from '../options/validate.js';

/** The `mtls` option: its type, defaults and parser together. */

/**
 * Mutual-TLS certificate-bound access tokens (RFC 8705 §3). A token with `cnf["x5t#S256"]` is
 * accepted only when this request's client certificate has that SHA-256 thumbprint. Validated at
 * start-up (`TypeError` naming `mtls.<option>`; unknown options rejected).
 *
 * The certificate comes from the TLS connection (the adapters read the socket's peer certificate,
 * so the server must ask for one: `https.createServer({ requestCert: true, ... })`), or — only when
 * configured — from `trustedProxyHeader` or `certificate`. Chain validation is deliberately **not**
 * done here (RFC 8705 §6.2 / §3): the token is bound to the exact certificate, which the TLS layer
 * already made the client prove possession of; which issuers are acceptable is the TLS server's
 * (`rejectUnauthorized`, `ca`) and the authorization server's business. Self-signed certificates
 * (RFC 8705 §2.2) therefore work with `rejectUnauthorized: false`.
 */
export interface MtlsOptions {
  /** Reject every token that is not certificate-bound. Default false. */
  required?: boolean;
  /**
   * Name of a header in which a TLS-terminating proxy forwards the client certificate: URL-encoded
   * PEM (nginx `$ssl_client_escaped_cert`, AWS ALB), PEM, or base64 DER. Read **only** when set, and
   * then instead of the socket. Only set it when every request reaches this server through that
   * proxy and the proxy overwrites (never appends to) the header: otherwise any client can claim
   * any certificate. Two such header fields are rejected. Default: unset.
   */
  trustedProxyHeader?: string;
  /**
   * Custom source of the client certificate (DER bytes, or PEM / base64 DER text), e.g. for proxy
   * formats such as Envoy's `x-forwarded-client-cert`. Replaces both the socket and
   * `trustedProxyHeader` (which cannot be set together with it). Default: unset.
   */
  certificate?: CertificateSource;
}

/** Where `mtls.certificate` reads a request's client certificate from. */
export type CertificateSource = (request: GuardRequest) =>
  Uint8Array | string | undefined | Promise<Uint8Array | string | undefined>;

/** The `mtls` option after validation and defaults; internal. */
export interface MtlsSettings {
  required: boolean;
  /** `trustedProxyHeader`, lower-cased (the adapters' header keys are). */
  proxyHeader: string | undefined;
  certificate: CertificateSource | undefined;
}

const KNOWN_MTLS_OPTIONS = knownKeys<MtlsOptions>()(['required', 'trustedProxyHeader', 'certificate']);

/** RFC 9110 §5.1 field-name (`token`). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Validates `mtls` at start-up (`TypeError` naming `mtls.<option>`; unknown names rejected).
 * `true` and absent both mean "on with defaults"; `false` turns certificate binding off
 * (`undefined`: certificate-bound tokens are then refused, not accepted unchecked).
 */
export function resolveMtlsOptions(value: MtlsOptions | boolean | undefined): MtlsSettings | undefined {
  if (value === false) return undefined;
  const options = value === true || value === undefined ? {} : value;
  assertObject(options, 'mtls');
  assertKnownKeys(options, KNOWN_MTLS_OPTIONS, 'mtls');
  const { trustedProxyHeader, certificate } = options as { trustedProxyHeader?: unknown; certificate?: unknown };
  if (trustedProxyHeader !== undefined && (typeof trustedProxyHeader !== 'string' || !FIELD_NAME.test(trustedProxyHeader))) {
    throw new TypeError('resource-guard: "mtls.trustedProxyHeader" must be a header field name');
  }
  if (certificate !== undefined && typeof certificate !== 'function') {
    throw new TypeError('resource-guard: "mtls.certificate" must be a function');
  }
  if (certificate !== undefined && trustedProxyHeader !== undefined) {
    throw new TypeError('resource-guard: "mtls.certificate" and "mtls.trustedProxyHeader" cannot be used together');
  }
  return {
    required: readBoolean(options.required, 'mtls.required', false),
    proxyHeader: trustedProxyHeader?.toLowerCase(),
    certificate: certificate as CertificateSource | undefined,
  };
}
