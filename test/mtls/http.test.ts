/**
 * mTLS certificate-bound tokens (RFC 8705) over a REAL `https` server with `requestCert`, on BOTH
 * adapters through the shared `startApp`: the right certificate → 200, another → 401, none → 401,
 * and the trusted-proxy header honoured only when configured. Certificates (server and clients)
 * are generated in the test with the `openssl` CLI; the TLS server accepts self-signed client
 * certificates (`rejectUnauthorized: false`): chain validation is not the resource server's job
 * (RFC 8705 §6.2), the binding is to the exact certificate the client proved it holds.
 */
import test, { type ExecutionContext } from 'ava';
import type { GuardOptions } from '@resource-guard/core';
import { FRAMEWORKS, startApp, type Framework, type TestApp } from '../helpers/apps.js';
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js';
import { parseChallenges } from '../helpers/challenge.js';
import { send, type RawResponse, type SendOptions } from '../helpers/http.js';
import { limitCases } from '../helpers/limit.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
let server: TestCertificate;
let certA: TestCertificate;
let certB: TestCertificate;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
  server = makeCertificate('127.0.0.1', 'IP:127.0.0.1');
  certA = makeCertificate('client-a');
  certB = makeCertificate('client-b');
});
test.after.always(async () => {
  await issuer?.close();
});

interface MtlsCase {
  title: string;
  /** Serve over https with requestCert (default) or plain http (a TLS-terminating proxy in front). */
  transport?: 'https' | 'http';
  mtls?: GuardOptions['mtls'];
  /** Under the FAPI 2.0 preset (`fapi: '2.0'`). */
  fapi?: boolean;
  /** Claims of the token; default bound to certificate A. */
  claims?: () => Record<string, unknown>;
  /** Client TLS certificate: A, B or none. */
  client?: 'A' | 'B';
  /** Extra request headers. */
  headers?: () => Array<[string, string]>;
  expect: { status: number; code?: string };
}

const table: MtlsCase[] = [
  { title: 'the bound certificate on the TLS connection → 200', client: 'A', expect: { status: 200 } },
  { title: 'another certificate → 401 invalid_token', client: 'B', expect: { status: 401, code: 'ERR_MTLS_BINDING_MISMATCH' } },
  { title: 'no certificate → 401 invalid_token', expect: { status: 401, code: 'ERR_MTLS_CERTIFICATE_MISSING' } },
  { title: 'an unbound token without certificate → 200 (mtls not required)', claims: () => ({}), expect: { status: 200 } },
  {
    title: 'mtls.required: an unbound token, even with a certificate → 401',
    mtls: { required: true }, claims: () => ({}), client: 'A', expect: { status: 401, code: 'ERR_MTLS_REQUIRED' },
  },
  {
    title: 'a forged proxy header on a direct TLS connection is ignored (not configured) → 401',
    client: 'B', headers: () => [['x-ssl-client-cert', encodeURIComponent(certA.pem)]], expect: { status: 401, code: 'ERR_MTLS_BINDING_MISMATCH' },
  },
  {
    title: 'behind a proxy, the header is ignored unless trustedProxyHeader is configured → 401',
    transport: 'http', headers: () => [['x-ssl-client-cert', encodeURIComponent(certA.pem)]], expect: { status: 401, code: 'ERR_MTLS_CERTIFICATE_MISSING' },
  },
  {
    title: 'trustedProxyHeader: the bound certificate as URL-encoded PEM ($ssl_client_escaped_cert) → 200',
    transport: 'http', mtls: { trustedProxyHeader: 'x-ssl-client-cert' },
    headers: () => [['x-ssl-client-cert', encodeURIComponent(certA.pem)]], expect: { status: 200 },
  },
  {
    title: 'trustedProxyHeader: the bound certificate as base64 DER → 200',
    transport: 'http', mtls: { trustedProxyHeader: 'X-Client-Cert' },
    headers: () => [['x-client-cert', certA.der.toString('base64')]], expect: { status: 200 },
  },
  {
    title: 'trustedProxyHeader: another certificate → 401',
    transport: 'http', mtls: { trustedProxyHeader: 'x-ssl-client-cert' },
    headers: () => [['x-ssl-client-cert', encodeURIComponent(certB.pem)]], expect: { status: 401, code: 'ERR_MTLS_BINDING_MISMATCH' },
  },
  {
    title: 'trustedProxyHeader: no header → 401',
    transport: 'http', mtls: { trustedProxyHeader: 'x-ssl-client-cert' }, expect: { status: 401, code: 'ERR_MTLS_CERTIFICATE_MISSING' },
  },
  {
    title: 'trustedProxyHeader: a malformed header → 401',
    transport: 'http', mtls: { trustedProxyHeader: 'x-ssl-client-cert' },
    headers: () => [['x-ssl-client-cert', 'not-a-certificate']], expect: { status: 401, code: 'ERR_MTLS_CERTIFICATE_MALFORMED' },
  },
  {
    title: 'trustedProxyHeader: two header fields (one appended by the client) → 401',
    transport: 'http', mtls: { trustedProxyHeader: 'x-ssl-client-cert' },
    headers: () => [['x-ssl-client-cert', encodeURIComponent(certA.pem)], ['x-ssl-client-cert', encodeURIComponent(certA.pem)]],
    expect: { status: 401, code: 'ERR_MTLS_CERTIFICATE_MALFORMED' },
  },
  { title: 'fapi "2.0": the bound certificate on the TLS connection → 200 (mTLS sender-constrains, FAPI 2.0 §5.3.4-5)', fapi: true, client: 'A', expect: { status: 200 } },
  { title: 'fapi "2.0": another certificate → 401', fapi: true, client: 'B', expect: { status: 401, code: 'ERR_MTLS_BINDING_MISMATCH' } },
  {
    title: 'fapi "2.0": an unbound token, even with a certificate → 401 (no bearer fallback)',
    fapi: true, claims: () => ({}), client: 'A', expect: { status: 401, code: 'ERR_FAPI_SENDER_CONSTRAINT_REQUIRED' },
  },
  {
    title: 'trustedProxyHeader configured: the socket certificate no longer counts → 401',
    mtls: { trustedProxyHeader: 'x-ssl-client-cert' }, client: 'A', expect: { status: 401, code: 'ERR_MTLS_CERTIFICATE_MISSING' },
  },
];

async function runMtlsCase(t: ExecutionContext, framework: Framework, item: MtlsCase) {
  const https = item.transport !== 'http';
  const app: TestApp = await startApp(framework, {
    issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, logger: { warn() {}, error() {} },
    ...(item.mtls === undefined ? {} : { mtls: item.mtls }),
    ...(item.fapi === true ? { fapi: '2.0' as const } : {}),
  }, https ? { https: { key: server.key, cert: server.pem, requestCert: true, rejectUnauthorized: false } } : {});
  try {
    const token = await issuer.sign(item.claims?.() ?? { cnf: { 'x5t#S256': certA.thumbprint } });
    const client = item.client === 'A' ? certA : item.client === 'B' ? certB : undefined;
    const options: SendOptions = {
      headers: [['authorization', `Bearer ${token}`], ...(item.headers?.() ?? [])],
      ...(https ? { tls: { ca: server.pem, ...(client === undefined ? {} : { key: client.key, cert: client.pem }) } } : {}),
    };
    const response: RawResponse = await send(`${app.url}/protected`, options);
    t.is(response.status, item.expect.status, 'status');
    if (item.expect.status === 401) {
      const bearer = parseChallenges(response.headers['www-authenticate'] as string).find((challenge) => challenge.scheme === 'Bearer');
      t.is(bearer?.params.error, 'invalid_token');
      t.is(bearer?.params.realm, AUDIENCE);
      t.is(app.handlerCalls, 0);
    } else {
      t.is(app.handlerCalls, 1);
    }
    if (item.expect.code !== undefined) t.is((app.errors.at(-1) as { code?: string } | undefined)?.code, item.expect.code, 'error code');
    t.false(JSON.stringify(response.headers).includes(token) || response.body.includes(token), 'no token in the response');
  } finally {
    await app.close();
  }
}

for (const framework of FRAMEWORKS) {
  for (const item of table) {
    test(`[${framework}] ${item.title}`, (t) => limitCases(() => runMtlsCase(t, framework, item)));
  }
}
