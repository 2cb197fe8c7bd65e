/**
 * mTLS certificate-bound tokens (RFC 8705) on the core: start-up validation, the thumbprint,
 * forwarded-certificate formats, and every binding rule through `createGuard().authenticate()`
 * with hand-built requests. Certificates are generated in the test with the `openssl` CLI.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { calculateJwkThumbprint, CompactSign, type JWK } from 'jose';
import { createGuard, type GuardError, type GuardOptions, type GuardRequest } from '@resource-guard/core';
import { certificateThumbprint, parseForwardedCertificate } from '../../packages/core/dist/mtls/certificate-binding.js';
import { makeCertificate, type TestCertificate } from '../helpers/certificates.js';
import { parseChallenges } from '../helpers/challenge.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

const RESOURCE_URL = 'https://api.example.test/orders';

let issuer: MockIssuer;
let certA: TestCertificate;
let certB: TestCertificate;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
  certA = makeCertificate('client-a');
  certB = makeCertificate('client-b');
});
test.after.always(async () => {
  await issuer?.close();
});

function guardOf(options: Partial<GuardOptions> = {}) {
  return createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, ...options });
}

function bearer(token: string, overrides: Partial<GuardRequest> = {}): GuardRequest {
  return { method: 'GET', url: RESOURCE_URL, headers: { authorization: `Bearer ${token}` }, ...overrides };
}

function withHeader(token: string, name: string, values: string | string[]): GuardRequest {
  return { method: 'GET', url: RESOURCE_URL, headers: { authorization: `Bearer ${token}`, [name]: values } };
}

async function rejects(t: ExecutionContext, promise: Promise<unknown>, code: string, secrets: string[] = [], scheme: 'Bearer' | 'DPoP' = 'Bearer'): Promise<GuardError> {
  const err = await t.throwsAsync(promise) as GuardError;
  t.is(err?.code as string | undefined, code);
  t.is(err?.status, 401);
  t.is(err?.error, 'invalid_token');
  t.is(parseChallenges(err.headers['WWW-Authenticate']).find((challenge) => challenge.scheme === scheme)?.params.error, 'invalid_token');
  for (const secret of secrets) t.false(err.message.includes(secret) || JSON.stringify(err.headers).includes(secret), 'no credential leaked');
  return err;
}

test('mtls options are validated at start-up, naming the option', (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ requried: true }, /"mtls\.requried"/],
    [{ required: 1 }, /"mtls\.required"/],
    [{ trustedProxyHeader: '' }, /"mtls\.trustedProxyHeader"/],
    [{ trustedProxyHeader: 'x ssl cert' }, /"mtls\.trustedProxyHeader"/],
    [{ trustedProxyHeader: 42 }, /"mtls\.trustedProxyHeader"/],
    [{ certificate: 'x-cert' }, /"mtls\.certificate"/],
    [{ certificate: () => undefined, trustedProxyHeader: 'x-ssl-client-cert' }, /"mtls\.certificate"/],
  ];
  for (const [mtls, message] of bad) {
    t.throws(() => guardOf({ mtls: mtls as GuardOptions['mtls'] }), { instanceOf: TypeError, message }, JSON.stringify(mtls));
  }
  t.notThrows(() => guardOf({ mtls: { required: true, trustedProxyHeader: 'X-SSL-Client-Cert' } }));
  t.notThrows(() => guardOf({ mtls: false }));
});

test('RFC 8705 §3.1 thumbprint: base64url SHA-256 of the DER certificate, no padding', (t) => {
  t.is(certificateThumbprint(certA.der), certA.thumbprint);
  t.is(certificateThumbprint(certA.der), createHash('sha256').update(certA.der).digest('base64url'));
  t.regex(certificateThumbprint(certA.der), /^[A-Za-z0-9_-]{43}$/);
});

test('forwarded certificate formats: URL-encoded PEM, PEM, one-line PEM, chains, base64(url) DER', (t) => {
  const der = (value: string) => parseForwardedCertificate(value) && Buffer.from(parseForwardedCertificate(value)!);
  t.deepEqual(der(encodeURIComponent(certA.pem)), certA.der, 'nginx $ssl_client_escaped_cert');
  t.deepEqual(der(certA.pem), certA.der, 'PEM');
  t.deepEqual(der(certA.pem.replaceAll('\n', ' ')), certA.der, 'PEM folded onto one line');
  t.deepEqual(der(`${certA.pem}${certB.pem}`), certA.der, 'the first certificate of a chain is the client\'s');
  t.deepEqual(der(certA.der.toString('base64')), certA.der, 'base64 DER');
  t.deepEqual(der(certA.der.toString('base64url')), certA.der, 'base64url DER');
  for (const garbage of ['', 'not a certificate', '%zz', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', Buffer.from('hello').toString('base64'), `${certA.der.toString('base64')}!`]) {
    t.is(parseForwardedCertificate(garbage), undefined, JSON.stringify(garbage));
  }
});

test('a certificate-bound token with the matching TLS client certificate passes', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  const { auth } = await guardOf().authenticate(bearer(token, { clientCertificate: certA.der }));
  t.deepEqual(auth?.confirmation, { 'x5t#S256': certA.thumbprint });
});

test('another certificate → invalid_token (ERR_MTLS_BINDING_MISMATCH)', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  await rejects(t, guardOf().authenticate(bearer(token, { clientCertificate: certB.der })), 'ERR_MTLS_BINDING_MISMATCH', [token]);
});

test('no certificate → invalid_token (ERR_MTLS_CERTIFICATE_MISSING)', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  await rejects(t, guardOf().authenticate(bearer(token)), 'ERR_MTLS_CERTIFICATE_MISSING', [token]);
  await rejects(t, guardOf().authenticate(bearer(token, { clientCertificate: new Uint8Array() })), 'ERR_MTLS_CERTIFICATE_MISSING');
});

test('a malformed binding (x5t#S256 not a string) fails closed', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': [certA.thumbprint] } });
  await rejects(t, guardOf().authenticate(bearer(token, { clientCertificate: certA.der })), 'ERR_MTLS_BINDING_INVALID');
});

test('mtls: false — certificate-bound tokens are refused (fail closed)', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  await rejects(t, guardOf({ mtls: false }).authenticate(bearer(token, { clientCertificate: certA.der })), 'ERR_MTLS_DISABLED');
});

test('mtls.required rejects tokens that are not certificate-bound, even with a certificate', async (t) => {
  const unbound = await issuer.sign();
  const guard = guardOf({ mtls: { required: true } });
  await rejects(t, guard.authenticate(bearer(unbound, { clientCertificate: certA.der })), 'ERR_MTLS_REQUIRED');
  t.truthy((await guardOf().authenticate(bearer(unbound))).auth, 'without required, unbound tokens pass');
  const bound = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  t.truthy((await guard.authenticate(bearer(bound, { clientCertificate: certA.der }))).auth);
});

test('the proxy header is ignored unless trustedProxyHeader is configured', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  await rejects(t, guardOf().authenticate(withHeader(token, 'x-ssl-client-cert', encodeURIComponent(certA.pem))), 'ERR_MTLS_CERTIFICATE_MISSING');
});

test('trustedProxyHeader: the forwarded certificate counts, in every format; the socket does not', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  const guard = guardOf({ mtls: { trustedProxyHeader: 'X-SSL-Client-Cert' } });
  for (const value of [encodeURIComponent(certA.pem), certA.der.toString('base64'), certA.pem.replaceAll('\n', ' ')]) {
    t.truthy((await guard.authenticate(withHeader(token, 'x-ssl-client-cert', value))).auth);
  }
  await rejects(t, guard.authenticate(withHeader(token, 'x-ssl-client-cert', encodeURIComponent(certB.pem))), 'ERR_MTLS_BINDING_MISMATCH');
  await rejects(t, guard.authenticate(bearer(token, { clientCertificate: certA.der })), 'ERR_MTLS_CERTIFICATE_MISSING', [token]);
  await rejects(t, guard.authenticate(withHeader(token, 'x-ssl-client-cert', '')), 'ERR_MTLS_CERTIFICATE_MISSING');
  await rejects(t, guard.authenticate(withHeader(token, 'x-ssl-client-cert', 'garbage')), 'ERR_MTLS_CERTIFICATE_MALFORMED');
  await rejects(
    t, guard.authenticate(withHeader(token, 'x-ssl-client-cert', [encodeURIComponent(certA.pem), encodeURIComponent(certB.pem)])),
    'ERR_MTLS_CERTIFICATE_MALFORMED',
  );
  const raw: GuardRequest = {
    method: 'GET', url: RESOURCE_URL, headers: { authorization: `Bearer ${token}`, 'x-ssl-client-cert': encodeURIComponent(certA.pem) },
    rawHeaders: ['Authorization', `Bearer ${token}`, 'X-SSL-Client-Cert', encodeURIComponent(certA.pem), 'x-ssl-client-cert', encodeURIComponent(certA.pem)],
  };
  await rejects(t, guard.authenticate(raw), 'ERR_MTLS_CERTIFICATE_MALFORMED', [token]);
});

test('mtls.certificate: a custom source (sync or async; DER, PEM or nothing)', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  const sources: Array<[GuardOptions['mtls'], string | undefined]> = [
    [{ certificate: () => certA.der }, undefined],
    [{ certificate: async () => certA.pem }, undefined],
    [{ certificate: () => encodeURIComponent(certA.pem) }, undefined],
    [{ certificate: () => certB.der }, 'ERR_MTLS_BINDING_MISMATCH'],
    [{ certificate: () => undefined }, 'ERR_MTLS_CERTIFICATE_MISSING'],
    [{ certificate: () => 'garbage' }, 'ERR_MTLS_CERTIFICATE_MALFORMED'],
    [{ certificate: () => 42 as unknown as string }, 'ERR_MTLS_CERTIFICATE_MALFORMED'],
  ];
  for (const [mtls, code] of sources) {
    const promise = guardOf({ mtls }).authenticate(bearer(token, { clientCertificate: certA.der }));
    if (code === undefined) t.truthy((await promise).auth);
    else await rejects(t, promise, code);
  }
});

test('the source function sees the request (e.g. to parse a proxy-specific header)', async (t) => {
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint } });
  const guard = guardOf({
    mtls: {
      certificate: (request) => {
        const xfcc = request.headers['x-forwarded-client-cert'];
        const cert = typeof xfcc === 'string' ? /Cert="([^"]+)"/.exec(xfcc)?.[1] : undefined;
        return cert;
      },
    },
  });
  const xfcc = `By=spiffe://api;Hash=abc;Cert="${encodeURIComponent(certA.pem)}";Subject="CN=client-a"`;
  t.truthy((await guard.authenticate(withHeader(token, 'x-forwarded-client-cert', xfcc))).auth);
});

test('a token bound both ways needs the certificate and the DPoP proof', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const token = await issuer.sign({ cnf: { 'x5t#S256': certA.thumbprint, jkt: await calculateJwkThumbprint(jwk, 'sha256') } });
  const proof = () => new CompactSign(new TextEncoder().encode(JSON.stringify({
    htm: 'GET', htu: RESOURCE_URL, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ath: createHash('sha256').update(token).digest('base64url'),
  }))).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(privateKey);
  const dpop = async (clientCertificate?: Uint8Array): Promise<GuardRequest> => ({
    method: 'GET', url: RESOURCE_URL, headers: { authorization: `DPoP ${token}`, dpop: await proof() }, clientCertificate,
  });
  const guard = guardOf();
  await rejects(t, guard.authenticate(bearer(token, { clientCertificate: certA.der })), 'ERR_DPOP_BEARER_DOWNGRADE');
  await rejects(t, guard.authenticate(await dpop(certB.der)), 'ERR_MTLS_BINDING_MISMATCH', [token], 'DPoP');
  await rejects(t, guard.authenticate(await dpop()), 'ERR_MTLS_CERTIFICATE_MISSING', [token], 'DPoP');
  const { auth } = await guard.authenticate(await dpop(certA.der));
  t.is(auth?.scheme, 'DPoP');
  // A custom asynchronous certificate source is awaited before the proof is checked.
  const asyncGuard = guardOf({ mtls: { certificate: async (request) => request.clientCertificate } });
  await rejects(t, asyncGuard.authenticate(await dpop(certB.der)), 'ERR_MTLS_BINDING_MISMATCH', [token], 'DPoP');
  t.truthy((await asyncGuard.authenticate(await dpop(certA.der))).auth);
});
