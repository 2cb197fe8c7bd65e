/**
 * Introspection client authentication by private_key_jwt (RFC 7523 §2.2), against a real loopback
 * endpoint that verifies what it receives (the assertion with jose: signature, aud, iss/sub, exp,
 * unique jti) and refuses everything else. Node-only: the assertion is signed with a private key,
 * which needs `node:crypto` (the WebCrypto backend refuses `privateKeyJwt` at start-up, see
 * packages/core/src/crypto/web-backend.ts). A bearer token and none are in client-auth.test.ts.
 */
import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { decodeProtectedHeader, exportJWK, jwtVerify, type JWK } from 'jose';
import { createGuard } from '@resource-guard/core';
import {
  CLIENT_ID, ISSUER, activeBody, assertRejected, clientAuthOptions, recordingLogger, requestWith, startEndpoint,
  type Answer, type Endpoint, type ReceivedRequest,
} from '../helpers/introspection.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const refuse: Answer = { status: 401, body: { error: 'invalid_client' } };

/**
 * An endpoint that accepts a call only with a valid assertion by `publicKey`: signed with `alg`,
 * `iss` = `sub` = the client id, `aud` = `audience` (default its own URL), `exp` no more than
 * 60 s after `iat`, a `jti` it has not seen before. Returns the endpoint and the verified payloads.
 */
async function assertionEndpoint(t: ExecutionContext, publicKey: KeyObject, alg: string, audience?: string) {
  const seen = new Set<string>();
  const payloads: Array<Record<string, unknown>> = [];
  const endpoint: Endpoint = await startEndpoint(async (request: ReceivedRequest) => {
    const { form } = request;
    if (form.get('client_assertion_type') !== ASSERTION_TYPE || request.headers.authorization !== undefined || form.has('client_secret')) return refuse;
    try {
      const { payload } = await jwtVerify(form.get('client_assertion') ?? '', publicKey, {
        algorithms: [alg], issuer: CLIENT_ID, subject: CLIENT_ID, audience: audience ?? endpoint.url, maxTokenAge: 60,
      });
      if (typeof payload.jti !== 'string' || seen.has(payload.jti) || payload.exp! - payload.iat! > 60) return refuse;
      seen.add(payload.jti);
      payloads.push(payload);
      return { body: activeBody() };
    } catch {
      return refuse;
    }
  });
  t.teardown(() => endpoint.close());
  return { endpoint, payloads };
}

function ecKey(namedCurve = 'P-256'): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve });
}

test('private_key_jwt with a JWK: a fresh assertion per call, verified by the endpoint (aud = endpoint, iss = sub = client id, 60 s, unique jti)', async (t) => {
  const { privateKey, publicKey } = ecKey();
  const jwk = { ...(await exportJWK(privateKey)), kid: 'rs-key-1' } as JWK;
  const { endpoint, payloads } = await assertionEndpoint(t, publicKey, 'ES256');
  const guard = createGuard(clientAuthOptions(endpoint.url, { clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKeyJwt: { key: jwk, alg: 'ES256' } }));
  for (const token of ['opaque-1', 'opaque-2', 'opaque-1']) t.is((await guard.verify(requestWith(token))).subject, 'user-123');
  t.is(payloads.length, 3, 'every call verified by the endpoint');
  t.is(new Set(payloads.map((payload) => payload.jti)).size, 3);
  for (const payload of payloads) t.is((payload.exp as number) - (payload.iat as number), 60);
  const call = endpoint.calls[0]!;
  t.is(call.form.get('client_id'), CLIENT_ID);
  t.is(call.form.get('token'), 'opaque-1');
  t.deepEqual(decodeProtectedHeader(call.form.get('client_assertion')!), { alg: 'ES256', typ: 'JWT', kid: 'rs-key-1' });
});

test('private_key_jwt with a KeyObject, RS256, a configured audience (the issuer) and lifetime', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { endpoint, payloads } = await assertionEndpoint(t, publicKey, 'PS256', ISSUER);
  const guard = createGuard(clientAuthOptions(endpoint.url, {
    clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKeyJwt: { key: privateKey, alg: 'PS256', kid: 'k2', audience: ISSUER, lifetime: 30 },
  }));
  await guard.verify(requestWith('opaque'));
  t.is(payloads[0]!.aud, ISSUER);
  t.is((payloads[0]!.exp as number) - (payloads[0]!.iat as number), 30);
  // The endpoint's own check: an assertion for the endpoint URL is refused where the issuer is expected.
  const logger = recordingLogger({ debug: true });
  const other = createGuard(clientAuthOptions(endpoint.url, { clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKeyJwt: { key: privateKey, alg: 'PS256' } }, { logger, logRejections: true }));
  const error = await assertRejected(t, other.verify(requestWith('opaque')), { status: 500, code: 'ERR_INTROSPECTION_CLIENT_REJECTED' });
  // The detail, and so the one log line, name what was sent as aud and the option that fixes it (ZITADEL wants its issuer).
  t.true(error.detail!.includes(`the private_key_jwt assertion's aud was "${endpoint.url}"`), error.detail);
  t.regex(error.detail!, /needs "introspection\.privateKeyJwt\.audience"$/);
  t.is(logger.lines.length, 1);
  t.true(logger.lines[0]!.includes(error.detail!), logger.lines[0]);
});

test('an assertion the endpoint refuses (another key): 500, and neither the assertion nor the key reaches an error or a log', async (t) => {
  const { publicKey } = ecKey();
  const wrong = ecKey();
  const { endpoint } = await assertionEndpoint(t, publicKey, 'ES256');
  const logger = recordingLogger({ debug: true });
  const guard = createGuard(clientAuthOptions(endpoint.url, { clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKeyJwt: { key: wrong.privateKey, alg: 'ES256' } }, { logger, logRejections: true }));
  const error = await assertRejected(t, guard.verify(requestWith('opaque-token')), { status: 500, code: 'ERR_INTROSPECTION_CLIENT_REJECTED' }, 'opaque-token');
  t.regex(error.detail!, /answered HTTP 401 "invalid_client"; check "introspection\.clientId", "introspection\.clientAuth" \(private_key_jwt\) and its credential/);
  const assertion = endpoint.calls[0]!.form.get('client_assertion')!;
  const d = (await exportJWK(wrong.privateKey)).d!;
  const visible = [error.message, error.detail, JSON.stringify(error.headers), String(error.cause), ...logger.lines].join('\n');
  for (const secret of [assertion, assertion.split('.')[2]!, d, 'opaque-token']) t.false(visible.includes(secret));
  t.is(logger.lines.length, 1);
  t.regex(logger.lines[0]!, /"introspection\.clientAuth" \(private_key_jwt\)/);
});

test('private_key_jwt option validation: a TypeError naming the option, at start-up', async (t) => {
  const { privateKey, publicKey } = ecKey();
  const jwk = await exportJWK(privateKey);
  const url = 'https://as.example.test/introspect';
  const pkj = (privateKeyJwt: unknown, extra: Record<string, unknown> = {}) => ({ clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKeyJwt, ...extra });
  const bad: Array<[string, Record<string, unknown>]> = [
    ['introspection.clientId', pkj({ key: privateKey, alg: 'ES256' }, { clientId: undefined })],
    ['introspection.privateKeyJwt.key', pkj({ key: publicKey, alg: 'ES256' })],
    ['introspection.privateKeyJwt.key', pkj({ key: await exportJWK(publicKey), alg: 'ES256' })],
    ['introspection.privateKeyJwt.key', pkj({ key: createSecretKey(Buffer.alloc(32)), alg: 'ES256' })],
    ['introspection.privateKeyJwt.key', pkj({ key: { kty: 'oct', k: 'c2VjcmV0' }, alg: 'ES256' })],
    ['introspection.privateKeyJwt.key', pkj({ key: privateKey, alg: 'RS256' })],
    ['introspection.privateKeyJwt.key', pkj({ key: privateKey, alg: 'ES384' })],
    ['introspection.privateKeyJwt.key', pkj({ key: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey, alg: 'RS256' })],
    ['introspection.privateKeyJwt.key', pkj({ key: generateKeyPairSync('ed25519').privateKey, alg: 'ES256' })],
    ['introspection.privateKeyJwt.alg', pkj({ key: privateKey, alg: 'HS256' })],
    ['introspection.privateKeyJwt.alg', pkj({ key: privateKey })],
    ['introspection.privateKeyJwt.alg', pkj({ key: { ...jwk, alg: 'ES384' }, alg: 'ES256' })],
    ['introspection.privateKeyJwt.kid', pkj({ key: privateKey, alg: 'ES256', kid: '' })],
    ['introspection.privateKeyJwt.audience', pkj({ key: privateKey, alg: 'ES256', audience: 7 })],
    ['introspection.privateKeyJwt.lifetime', pkj({ key: privateKey, alg: 'ES256', lifetime: 3600 })],
    ['introspection.privateKeyJwt.lifetime', pkj({ key: privateKey, alg: 'ES256', lifetime: 0 })],
    ['introspection.privateKeyJwt.keyId', pkj({ key: privateKey, alg: 'ES256', keyId: 'x' })],
    ['introspection.clientSecret', pkj({ key: privateKey, alg: 'ES256' }, { clientSecret: 'also-a-secret' })],
    ['introspection.privateKeyJwt', { clientId: CLIENT_ID, clientSecret: 'secret', privateKeyJwt: { key: privateKey, alg: 'ES256' } }],
  ];
  for (const [name, introspection] of bad) {
    const error = t.throws(() => createGuard(clientAuthOptions(url, introspection)), { instanceOf: TypeError }, name);
    t.true(error?.message.includes(`"${name}"`), `${name}: ${error?.message}`);
  }
  t.notThrows(() => createGuard(clientAuthOptions(url, pkj({ key: generateKeyPairSync('ed25519').privateKey, alg: 'EdDSA' }))));
  t.notThrows(() => createGuard(clientAuthOptions(url, pkj({ key: ecKey('P-521').privateKey, alg: 'ES512' }))));
});

test('the bearer-token grant authenticates by private_key_jwt too: accepted at start-up', (t) => {
  const grant = {
    tokenEndpoint: 'https://as.example.test/token', clientId: 'grant-client', scope: 'introspect',
    clientAuth: 'private_key_jwt', privateKeyJwt: { key: ecKey().privateKey, alg: 'ES256' },
  };
  t.notThrows(() => createGuard(clientAuthOptions('https://as.example.test/introspect', { clientAuth: 'bearer', bearerToken: grant })));
});
