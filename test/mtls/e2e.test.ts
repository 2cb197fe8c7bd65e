/**
 * mTLS end to end: the real dev authorization server (oidc-provider) issues certificate-bound
 * tokens (RFC 8705, `cnf.x5t#S256`) to `mtls-client`, whose certificate it reads from the
 * nginx-style `x-ssl-client-cert` header. The API on EVERY adapter, served over real https with
 * `requestCert`, accepts them with that certificate and rejects them with another one or none —
 * for JWTs and for introspected opaque tokens. Also behind a (simulated) TLS-terminating proxy.
 */
import test from 'ava';
import type { GuardOptions } from '@resource-guard/core';
import {
  CLIENT_CERT_HEADER, CLIENTS, RESOURCES, loadDevClientCertificate, type DevClientCertificate,
} from '@resource-guard-tools/dev-authorization-server';
import { FRAMEWORKS, startApp } from '../helpers/apps.js';
import { makeCertificate } from '../helpers/certificates.js';
import { parseChallenges } from '../helpers/challenge.js';
import { decodeJwt, getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { send } from '../helpers/http.js';

let dev: DevAs;
let devCert: DevClientCertificate;
let server: { pem: string; key: string };
let other: { pem: string; key: string };
test.before(async () => {
  dev = await startDevAs();
  devCert = loadDevClientCertificate();
  server = makeCertificate('127.0.0.1', 'IP:127.0.0.1');
  other = makeCertificate('mtls-client');
});
test.after.always(async () => {
  await dev?.close();
});

const quiet = { warn() {}, error() {} };
const apis: Array<{ format: 'jwt' | 'opaque'; resource: string; options: () => GuardOptions }> = [
  { format: 'jwt', resource: RESOURCES.jwt, options: () => ({ issuer: dev.server.issuer, audience: RESOURCES.jwt, httpTimeout: 30_000, logger: quiet }) },
  {
    format: 'opaque',
    resource: RESOURCES.opaque,
    options: () => ({
      issuer: dev.server.issuer, audience: RESOURCES.opaque, httpTimeout: 30_000, logger: quiet,
      introspection: { clientId: CLIENTS.resourceServer.clientId, clientSecret: CLIENTS.resourceServer.clientSecret, timeout: 30_000 },
    }),
  },
];

const mtlsToken = async (resource: string) =>
  (await getToken(dev, CLIENTS.mtls, { scope: 'orders:read', resource, headers: { [CLIENT_CERT_HEADER]: devCert.header } })).access_token;

for (const framework of FRAMEWORKS) {
  for (const api of apis) {
    test(`[${framework}] a certificate-bound ${api.format} token from the dev AS over https: right cert 200, other cert 401, none 401`, async (t) => {
      const token = await mtlsToken(api.resource);
      if (api.format === 'jwt') t.deepEqual(decodeJwt(token).payload.cnf, { 'x5t#S256': devCert.thumbprint });
      const app = await startApp(framework, api.options(), { https: { key: server.key, cert: server.pem, requestCert: true, rejectUnauthorized: false } });
      try {
        const call = (client?: { key: string; pem: string }) => send(`${app.url}/protected`, {
          headers: [['authorization', `Bearer ${token}`]],
          tls: { ca: server.pem, ...(client === undefined ? {} : { key: client.key, cert: client.pem }) },
        });
        const ok = await call({ key: devCert.key, pem: devCert.cert });
        t.is(ok.status, 200);
        t.like(JSON.parse(ok.body), { auth: { clientId: CLIENTS.mtls.clientId, format: api.format, confirmation: { 'x5t#S256': devCert.thumbprint } } });

        const wrong = await call(other);
        t.is(wrong.status, 401, 'another certificate (same subject, other key)');
        t.is(parseChallenges(wrong.headers['www-authenticate'] as string)[0]?.params.error, 'invalid_token');
        t.is((app.errors.at(-1) as { code?: string }).code, 'ERR_MTLS_BINDING_MISMATCH');

        const none = await call();
        t.is(none.status, 401, 'no certificate');
        t.is((app.errors.at(-1) as { code?: string }).code, 'ERR_MTLS_CERTIFICATE_MISSING');
        t.is(app.handlerCalls, 1);
      } finally {
        await app.close();
      }
    });
  }

  test(`[${framework}] behind a TLS-terminating proxy (nginx $ssl_client_escaped_cert): honoured only when configured`, async (t) => {
    const token = await mtlsToken(RESOURCES.jwt);
    const forward = (url: string, value: string) => send(`${url}/protected`, { headers: [['authorization', `Bearer ${token}`], [CLIENT_CERT_HEADER, value]] });
    const trusting = await startApp(framework, { ...apis[0]!.options(), mtls: { trustedProxyHeader: CLIENT_CERT_HEADER } });
    const plain = await startApp(framework, apis[0]!.options());
    try {
      t.is((await forward(trusting.url, devCert.header)).status, 200);
      t.is((await forward(trusting.url, encodeURIComponent(other.pem))).status, 401);
      t.is((await forward(plain.url, devCert.header)).status, 401, 'the header means nothing unless configured');
    } finally {
      await trusting.close();
      await plain.close();
    }
  });
}
