/**
 * Client certificates for the mTLS flows, as the value of the header in which the APIs (and the
 * dev AS) accept a certificate forwarded by a TLS-terminating proxy: URL-encoded PEM, like
 * nginx's `$ssl_client_escaped_cert`.
 */
import { readFileSync } from 'node:fs';
import { loadDevClientCertificate } from '@resource-guard-tools/dev-authorization-server';

/** The two certificates the mTLS flows present. */
export interface DemoCertificates {
  /** `mtls-client`'s certificate (the dev AS fixture): its tokens are bound to it. */
  readonly bound: string;
  /** Another self-signed certificate (`fixtures/other-client.crt`, no key shipped): a stranger's. */
  readonly other: string;
}

/** Loads both certificates (works from `src/` and `dist/`). */
export function loadCertificates(): DemoCertificates {
  const other = readFileSync(new URL('../fixtures/other-client.crt', import.meta.url), 'utf8');
  return { bound: loadDevClientCertificate().header, other: encodeURIComponent(other) };
}
