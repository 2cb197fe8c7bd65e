import { certificateDer, decodeBase64 } from '#crypto-backend';
import { sha256Base64Url } from '../lib/digest.js';
import { describeType } from '../errors/detail.js';
import { InvalidTokenError } from '../errors/errors.js';
import { readHeaderValues, type GuardRequest } from '../http/request.js';
import type { MtlsSettings } from './options.js';

/**
 * RFC 8705 certificate-bound access tokens. The token's `cnf["x5t#S256"]` must equal the SHA-256
 * thumbprint of this request's client certificate. Chain validation is deliberately not done
 * (RFC 8705 §6.2): see `MtlsOptions`.
 */

export type { CertificateSource, MtlsOptions } from './options.js';

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
 * Creates the binding check from the resolved `mtls` settings. Where the certificate comes from:
 * - `certificate` set: whatever it returns (DER bytes, or text parsed as by {@link parseForwardedCertificate});
 * - `trustedProxyHeader` set: that header only (the socket's certificate is then the proxy's, if any);
 *   two fields of it are rejected;
 * - otherwise: `request.clientCertificate`, the TLS socket's peer certificate as set by the adapter.
 */
export function createCertificateBinding(settings: MtlsSettings): CertificateBinding {
  const { required, proxyHeader: headerName, certificate: source } = settings;
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
