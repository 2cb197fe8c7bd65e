/**
 * The claims of an encrypted access token are secret to the authorization server and the API:
 * no value that came out of a decrypted payload (the inner JWS's header and claims) may appear in
 * a rejection's `detail`, the `logRejections` line, `errorHandler()`'s debug line or any
 * adapter's response. Each case rejects a JWE for a check that quotes a token value in its
 * detail when the token is a plain JWS (the control), and looks for that value everywhere.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { randomBytes } from 'node:crypto';
import express from 'express';
import { CompactEncrypt } from 'jose';
import { CRYPTO_BACKEND, createGuard, requireAuthentication, type GuardError, type GuardErrorCode, type GuardOptions } from '@resource-guard/core';
import * as expressAdapter from '@resource-guard/express';
import { FRAMEWORKS, startApp } from '../helpers/apps.js';
import { send, type RawResponse } from '../helpers/http.js';
import { AUDIENCE, bearerRequest, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

const secret = randomBytes(32);
let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
});
test.after.always(() => issuer?.close());

const encrypt = (inner: string) => new CompactEncrypt(new TextEncoder().encode(inner))
  .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'JWT' }).encrypt(secret);

interface LeakCase {
  title: string;
  code: GuardErrorCode;
  /** The inner (signed) token; its distinctive values are `secrets`. */
  inner(): Promise<string>;
  secrets: readonly string[];
}

const now = () => Math.floor(Date.now() / 1000);
const EXPIRED_AT = 1_700_000_123;
const CASES: readonly LeakCase[] = [
  { title: 'aud of another API', code: 'ERR_TOKEN_AUDIENCE_INVALID', inner: () => issuer.sign({ aud: 'https://payroll.internal.example/Secret-Aud' }), secrets: ['payroll.internal', 'Secret-Aud'] },
  { title: 'an untrusted iss', code: 'ERR_JWT_ISSUER_UNTRUSTED', inner: () => issuer.sign({ iss: 'https://tenant-4711.hidden.example' }), secrets: ['tenant-4711', 'hidden.example'] },
  { title: 'expired', code: 'ERR_TOKEN_EXPIRED', inner: () => issuer.sign({ iat: EXPIRED_AT - 60, exp: EXPIRED_AT }), secrets: [String(EXPIRED_AT)] },
  { title: 'a kid of the inner header no key has', code: 'ERR_JWKS_NO_MATCHING_KEY', inner: () => issuer.sign({}, { key: issuer.createKey('ES256', 'inner-kid-Secret') }), secrets: ['inner-kid-Secret'] },
  {
    title: 'the audience matched against client_id (profile rule)',
    code: 'ERR_TOKEN_AUDIENCE_INVALID',
    inner: () => issuer.sign({ aud: undefined, token_use: 'access', client_id: 'client-Secret-42' }),
    secrets: ['client-Secret-42'],
  },
];

const optionsFor = (item: LeakCase): Partial<GuardOptions> => (item.title.includes('client_id')
  // A profile whose audience rule quotes client_id in its detail.
  ? { audience: 'client-expected', profile: 'cognito', allowGenericJwtTyp: true } as Partial<GuardOptions>
  : {});

const lines = (logs: string[]) => logs.join('\n');

for (const framework of FRAMEWORKS) {
  for (const item of CASES) {
    test(`[${framework}] ${item.title}: no decrypted value in the detail, the logRejections line or the response`, async (t) => {
      if (CRYPTO_BACKEND !== 'node') return t.pass('JWE decryption needs node:crypto');
      const debug: string[] = [];
      const options: GuardOptions = {
        issuer: issuer.issuer,
        audience: AUDIENCE,
        encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] },
        logRejections: true,
        logger: { error: () => undefined, warn: () => undefined, debug: (line: string) => debug.push(line) },
        ...optionsFor(item),
      };
      const app = await startApp(framework, options);
      try {
        const inner = await item.inner();
        // The control: the same token unencrypted shows the value, so the check does quote it.
        const plain = await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${inner}` } });
        t.true([401, 403].includes(plain.status));
        const control = app.errors.at(-1) as GuardError;
        t.is(control.code, item.code);
        t.true(item.secrets.some((value) => (control.detail ?? '').includes(value)), `control detail: ${control.detail}`);
        debug.length = 0;

        const response: RawResponse = await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${await encrypt(inner)}` } });
        t.is(response.status, plain.status);
        const error = app.errors.at(-1) as GuardError;
        t.is(error.code, item.code);
        t.regex(error.detail ?? '', /\[redacted\]/, 'the detail still says which check failed, without the value');
        const everything = `${error.detail}\n${error.message}\n${lines(debug)}\n${JSON.stringify(response.headers)}${response.body}`;
        for (const value of item.secrets) t.false(everything.includes(value), `${value} leaked`);
        t.true(debug.some((line) => line.includes(item.code)), 'the rejection was logged');
      } finally {
        await app.close();
      }
    });
  }
}

test('errorHandler(): the debug line of a rejected encrypted token shows no decrypted value (Express)', async (t) => {
  if (CRYPTO_BACKEND !== 'node') return t.pass('JWE decryption needs node:crypto');
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] } });
  const debug: string[] = [];
  const app = express();
  app.get('/protected', expressAdapter.protect(guard), (_req, res) => res.json({}));
  app.use(expressAdapter.errorHandler({ logger: { error: () => undefined, debug: (line: string) => debug.push(line) } }));
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/protected`;
    const token = await encrypt(await issuer.sign({ aud: 'https://Secret-Audience.example', exp: now() - 500 }));
    const response = await send(url, { headers: { authorization: `Bearer ${token}` } });
    t.is(response.status, 401);
    t.is(debug.length, 1);
    t.regex(debug[0]!, /ERR_TOKEN_(EXPIRED|AUDIENCE_INVALID).*\[redacted\]/);
    t.false(`${debug[0]}${response.body}`.includes('Secret-Audience'));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a route requirement on an encrypted token (step-up) names no decrypted value; on a plain token it does', async (t) => {
  if (CRYPTO_BACKEND !== 'node') return t.pass('JWE decryption needs node:crypto');
  const debug: string[] = [];
  const guard = createGuard({
    issuer: issuer.issuer, audience: AUDIENCE, encryptedTokens: { keys: [{ key: secret, alg: 'dir' }] },
    logRejections: true, logger: { error: () => undefined, warn: () => undefined, debug: (line: string) => debug.push(line) },
  });
  const stepUp = requireAuthentication({ acrValues: ['urn:mfa'] });
  const inner = await issuer.sign({ acr: 'urn:acr-Secret-level' });
  const plainAuth = await guard.verify(bearerRequest(inner));
  const plainError = t.throws(() => guard.authorize(plainAuth, stepUp)) as GuardError;
  t.regex(plainError.detail ?? '', /acr-Secret-level/, 'the control shows the value');
  debug.length = 0;
  const auth = await guard.verify(bearerRequest(await encrypt(inner)));
  const error = t.throws(() => guard.authorize(auth, stepUp)) as GuardError;
  t.is(error.code, 'ERR_USER_AUTHENTICATION_INSUFFICIENT');
  t.regex(error.detail ?? '', /acr "\[redacted\]" is not one of acrValues: \["urn:mfa"\]/);
  t.false(debug.join('\n').includes('acr-Secret-level'));
  t.true(debug.some((line) => line.includes('ERR_USER_AUTHENTICATION_INSUFFICIENT')));
});
