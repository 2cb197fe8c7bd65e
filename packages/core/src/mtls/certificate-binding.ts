import { certificateDer, decodeBase64 } from '#crypto-backend';
import { sha256Base64Url } from '../lib/digest.js';
import { describeType } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { readHeaderValues, type GuardRequest } from '../http/request.js';
import { assertKnownKeys, knownKeys, readBoolean } from '../options/validate.js';

/**
 * RFC 8705 certificate-bound access tokens. The token's `cnf["x5t#S256"]` must equal the SHA-256
 * thumbprint of this request's client certificate. Chain validation is deliberately not done
 * (RFC 8705 §6.2): see {@link MtlsOptions}.
 */

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
  certificate?: (request: GuardRequest) =>
    Uint8Array | string | undefined | Promise<Uint8Array | string | undefined>;
}

const KNOWN_MTLS_OPTIONS = knownKeys<MtlsOptions>()(['required', 'trustedProxyHeader', 'certificate']);

/** RFC 9110 §5.1 field-name (`token`). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/;

/**
 * RFC 8705 §3.1 certificate thumbprint: base64url (no padding) of SHA-256 over the DER bytes.
 */
export function certificateThumbprint(der: Uint8Array): string {
  return sha256Base64Url(der);
}

/**
 * Parses a forwarded certificate: URL-encoded PEM (nginx `$ssl_client_escaped_cert`), PEM (also
 * folded onto one line with spaces, as some proxies do; the first certificate of a chain is the
 * client's), or base64/base64url DER. Returns the DER bytes of a certificate that X.509-parses, or
 * `undefined`. Does not validate the chain, dates or issuer (RFC 8705 §6.2).
 */
export function parseForwardedCertificate(value: string): Uint8Array | undefined {
  try {
    let text = value.trim();
    if (text.includes('%')) text = decodeURIComponent(text);
    if (text.includes('-----BEGIN')) {
      const block = PEM_BLOCK.exec(text);
      if (block === null) return undefined;
      text = block[1]!;
    }
    text = text.replace(/\s+/g, '');
    if (!BASE64.test(text)) return undefined;
    return certificateDer(decodeBase64(text));
  } catch {
    return undefined;
  }
}

/** The certificate-binding check of one guard. */
export interface CertificateBinding {
  /** `mtls.required`: only certificate-bound tokens are accepted. */
  readonly required: boolean;
  /**
   * Checks a certificate-bound token (`thumbprint` = its `cnf["x5t#S256"]`) against this request's
   * client certificate; throws `invalid_token` when there is none, it is malformed, or it is
   * another one.
   */
  check(request: GuardRequest, thumbprint: unknown): Promise<void>;
}

/**
 * Validates the `mtls` options (start-up; `TypeError` naming `mtls.<option>`; unknown options
 * rejected) and creates the binding check. Where the certificate comes from:
 * - `certificate` set: whatever it returns (DER bytes, or text parsed as by {@link parseForwardedCertificate});
 * - `trustedProxyHeader` set: that header only (the socket's certificate is then the proxy's, if any);
 *   two fields of it are rejected;
 * - otherwise: `request.clientCertificate`, the TLS socket's peer certificate as set by the adapter.
 */
export function createCertificateBinding(options: MtlsOptions): CertificateBinding {
  assertKnownKeys(options, KNOWN_MTLS_OPTIONS, 'mtls');
  const required = readBoolean(options.required, 'mtls.required', false);
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
  const headerName = trustedProxyHeader?.toLowerCase();
  const source = options.certificate;
  // For details only: where the certificate was looked for.
  const where = source !== undefined ? '"mtls.certificate"' : headerName !== undefined ? `the ${headerName} header (mtls.trustedProxyHeader)` : 'the TLS connection';

  const fromText = (value: string): Uint8Array | undefined => (
    value.trim() === '' ? undefined : (parseForwardedCertificate(value) ?? malformed())
  );
  const fromSource = (value: unknown): Uint8Array | undefined => {
    if (value === undefined || value instanceof Uint8Array) return value;
    return typeof value === 'string' ? fromText(value) : malformed();
  };
  /** The DER bytes of this request's client certificate, per the configured source. */
  const readCertificate = async (request: GuardRequest): Promise<Uint8Array | undefined> => {
    // `await` adopts a promise or any other thenable the source returns, and a plain value alike.
    if (source !== undefined) return fromSource(await source(request));
    if (headerName === undefined) return request.clientCertificate;
    const values = readHeaderValues(request, headerName);
    if (values.length > 1) return malformed();
    return values.length === 0 ? undefined : fromText(values[0]!);
  };
  const compare = (der: Uint8Array | undefined, thumbprint: string): void => {
    if (der === undefined || der.length === 0) {
      throw new InvalidTokenError('Token is bound to a client certificate, none was presented', 'ERR_MTLS_CERTIFICATE_MISSING', {
        detail: `the token has cnf["x5t#S256"] and the request has no client certificate (looked in: ${where})`,
      });
    }
    if (certificateThumbprint(der) !== thumbprint) {
      throw new InvalidTokenError('Token is bound to another client certificate', 'ERR_MTLS_BINDING_MISMATCH', {
        detail: `the SHA-256 thumbprint of the client certificate (from ${where}) differs from the token's cnf["x5t#S256"] (RFC 8705 §3.1)`,
      });
    }
  };

  return {
    required,
    async check(request, thumbprint) {
      if (typeof thumbprint !== 'string') {
        throw new InvalidTokenError('Token certificate binding is malformed', 'ERR_MTLS_BINDING_INVALID', { detail: `cnf["x5t#S256"] must be a string, found ${describeType(thumbprint)}` });
      }
      compare(await readCertificate(request), thumbprint);
    },
  };
}

function malformed(): never {
  throw new InvalidTokenError('The forwarded client certificate is malformed', 'ERR_MTLS_CERTIFICATE_MALFORMED');
}
