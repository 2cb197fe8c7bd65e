import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed P-256 certificate made by the openssl CLI: PEM, key, DER and its RFC 8705 thumbprint. */
export interface TestCertificate {
  pem: string;
  key: string;
  der: Buffer;
  /** RFC 8705 `x5t#S256`, from openssl's own SHA-256 fingerprint: independent of the code under test. */
  thumbprint: string;
}

/** Generates a certificate for `cn` (and `subjectAltName=san`, e.g. `IP:127.0.0.1`, for a TLS server). */
export function makeCertificate(cn: string, san?: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'rg-mtls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', `/CN=${cn}`, ...(san === undefined ? [] : ['-addext', `subjectAltName=${san}`]),
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const certificate = new X509Certificate(pem);
    return {
      pem,
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      der: certificate.raw,
      thumbprint: Buffer.from(certificate.fingerprint256.replaceAll(':', ''), 'hex').toString('base64url'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
