import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

import { CLIENT_CERT_HEADER } from './config.js';

/**
 * Parses a client certificate passed in a header: URL-encoded PEM (nginx's
 * `$ssl_client_escaped_cert`), PEM with its line breaks folded into spaces, or bare base64 DER.
 * Returns `undefined` for anything that is not a certificate.
 */
export function parseCertificateHeader(value: string): X509Certificate | undefined {
  let text = value;
  try {
    text = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  const base64 = text.replace(/-----(?:BEGIN|END) CERTIFICATE-----|\s/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  try {
    return new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    return undefined;
  }
}

/**
 * The client certificate of a request, for oidc-provider's `features.mTLS.getCertificate`:
 * 1. the peer certificate of the TLS socket, when the AS is served over https with
 *    `requestCert: true` (wrap `provider.callback()` in `https.createServer` to do that);
 * 2. otherwise the {@link CLIENT_CERT_HEADER} header. DEVELOPMENT ONLY: this trusts whoever
 *    connects, exactly as if a TLS-terminating proxy had checked the certificate. Never do this
 *    on a port that is not behind such a proxy.
 */
export function getClientCertificate(req: IncomingMessage): X509Certificate | undefined {
  if (req.socket instanceof TLSSocket) {
    return req.socket.getPeerX509Certificate();
  }
  const header = req.headers[CLIENT_CERT_HEADER];
  return typeof header === 'string' && header !== '' ? parseCertificateHeader(header) : undefined;
}

/** A dev-only client certificate and key (P-256, self-signed, CN=mtls-client), shipped as files. */
export interface DevClientCertificate {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key (PKCS#8). Public, like everything here: DEVELOPMENT ONLY. */
  readonly key: string;
  /** The certificate as the {@link CLIENT_CERT_HEADER} header value (URL-encoded PEM). */
  readonly header: string;
  /** RFC 8705 `x5t#S256`: base64url SHA-256 of the DER certificate, as in `cnf`. */
  readonly thumbprint: string;
}

/** Loads the dev client certificate from `fixtures/` (works from both `src/` and `dist/`). */
export function loadDevClientCertificate(): DevClientCertificate {
  const cert = readFileSync(new URL('../fixtures/mtls-client.crt', import.meta.url), 'utf8');
  const key = readFileSync(new URL('../fixtures/mtls-client.key', import.meta.url), 'utf8');
  const der = new X509Certificate(cert).raw;
  return {
    cert,
    key,
    header: encodeURIComponent(cert),
    thumbprint: createHash('sha256').update(der).digest('base64url'),
  };
}
