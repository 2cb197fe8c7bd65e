/**
 * The pre-authentication budget (docs/security.md): a request that has not authenticated costs at
 * most one private-key operation and one signature verification for its access token, however
 * many keys the guard holds. Counted through the crypto backends and jose (never timed), on every
 * adapter; the JWE cases need private keys, so they run on the node:crypto backend only.
 */
import test from 'ava';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { CRYPTO_BACKEND, createGuard, type GuardOptions } from '@resource-guard/core';
import { FRAMEWORKS, startApp, type TestApp } from '../helpers/apps.js';
import { send } from '../helpers/http.js';
import { AUDIENCE, flipSignature, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';
import { countKeyOperations, type KeyOperationCounter } from '../helpers/key-operations.js';

const rsa1 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa3 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rotation = {
  keys: [
    { key: rsa1.privateKey, alg: 'RSA-OAEP-256', kid: 'enc-1' },
    { key: rsa2.privateKey, alg: 'RSA-OAEP-256', kid: 'enc-2' },
    { key: rsa3.privateKey, alg: 'RSA-OAEP-256', kid: 'enc-3' },
  ],
};

let issuer: MockIssuer;
let counter: KeyOperationCounter;
test.before(async () => {
  issuer = await startMockIssuer('ES256');
  // A key set of several keys for the same alg (a rotation, or a provider publishing many).
  issuer.published.push(issuer.createKey('ES256'), issuer.createKey('ES256'), issuer.createKey('ES256'));
  counter = countKeyOperations();
});
test.after.always(async () => {
  counter?.restore();
  await issuer?.close();
});

const bearer = (app: TestApp, token: string) => send(`${app.url}/protected`, { headers: { authorization: `Bearer ${token}` } });
const lastCode = (app: TestApp) => (app.errors.at(-1) as { code?: string } | undefined)?.code;

async function withApp(framework: (typeof FRAMEWORKS)[number], options: Partial<GuardOptions>, run: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await startApp(framework, { issuer: issuer.issuer, audience: AUDIENCE, ...options });
  try {
    // Keys loaded first: the counts below are the request's own.
    t0(await bearer(app, await issuer.sign()));
    await run(app);
  } finally {
    await app.close();
  }
}
const t0 = (response: { status: number }) => {
  if (response.status !== 200) throw new Error(`warm-up answered ${response.status}`);
};

const encrypt = async (plaintext: string, key: KeyObject, kid?: string) => new CompactEncrypt(new TextEncoder().encode(plaintext))
  .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', ...(kid === undefined ? {} : { kid }) })
  .encrypt(key);

for (const framework of FRAMEWORKS) {
  for (const offloadSignatures of [false, true]) {
    test.serial(`[${framework}${offloadSignatures ? ', offloadSignatures' : ''}] a JWS without kid against a key set of 4 keys for its alg: refused with no signature verification`, async (t) => {
      await withApp(framework, { offloadSignatures }, async (app) => {
        const forged = flipSignature(await issuer.sign({}, { header: { kid: undefined } }));
        const genuine = await issuer.sign({}, { key: issuer.published[2], header: { kid: undefined } });
        counter.reset();
        const response = await bearer(app, forged);
        t.is(response.status, 401);
        t.is(lastCode(app), 'ERR_JWKS_KEY_AMBIGUOUS');
        t.is(counter.verify, 0, 'no key tried');
        // Even a genuine token without kid: which key signed it is not the guard's to guess.
        t.is((await bearer(app, genuine)).status, 401);
        t.is(lastCode(app), 'ERR_JWKS_KEY_AMBIGUOUS');
        t.is(counter.verify, 0);
      });
    });

    test.serial(`[${framework}${offloadSignatures ? ', offloadSignatures' : ''}] a forged JWS naming a kid costs exactly one signature verification`, async (t) => {
      await withApp(framework, { offloadSignatures }, async (app) => {
        const forged = flipSignature(await issuer.sign({}, { key: issuer.published[3] }));
        counter.reset();
        t.is((await bearer(app, forged)).status, 401);
        t.is(lastCode(app), 'ERR_JWS_SIGNATURE_INVALID');
        t.is(counter.verify, 1);
        t.is(counter.privateKey, 0);
      });
    });
  }

  if (CRYPTO_BACKEND !== 'node') continue;

  test.serial(`[${framework}] a junk JWE without kid, three keys of its alg: refused with no private-key operation`, async (t) => {
    await withApp(framework, { encryptedTokens: rotation }, async (app) => {
      const junk = await encrypt('not.a.jws', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
      counter.reset();
      const response = await bearer(app, junk);
      t.is(response.status, 401);
      t.is(lastCode(app), 'ERR_JWE_KEY_AMBIGUOUS');
      t.is(counter.privateKey, 0, 'no key tried');
      t.is(counter.verify, 0);
    });
  });

  test.serial(`[${framework}] a JWE naming a kid costs one private-key operation, and one verification of the JWS inside`, async (t) => {
    await withApp(framework, { encryptedTokens: rotation }, async (app) => {
      const wrongKey = await encrypt(await issuer.sign(), rsa1.publicKey, 'enc-3');
      const good = await encrypt(await issuer.sign(), rsa2.publicKey, 'enc-2');
      const forgedInside = await encrypt(flipSignature(await issuer.sign()), rsa3.publicKey, 'enc-3');
      counter.reset();
      t.is((await bearer(app, wrongKey)).status, 401);
      t.is(lastCode(app), 'ERR_JWE_DECRYPTION_FAILED');
      t.deepEqual([counter.privateKey, counter.verify], [1, 0]);
      counter.reset();
      t.is((await bearer(app, forgedInside)).status, 401);
      t.is(lastCode(app), 'ERR_JWS_SIGNATURE_INVALID');
      t.deepEqual([counter.privateKey, counter.verify], [1, 1]);
      counter.reset();
      t.is((await bearer(app, good)).status, 200);
      t.deepEqual([counter.privateKey, counter.verify], [1, 1]);
    });
  });
}

test('encryptedTokens: keys sharing an alg without distinct kids is a start-up TypeError naming both', (t) => {
  if (CRYPTO_BACKEND !== 'node') return t.pass('private keys need node:crypto');
  const base = { issuer: 'https://as.example.com', audience: AUDIENCE };
  for (const keys of [
    [{ key: rsa1.privateKey, alg: 'RSA-OAEP-256' }, { key: rsa2.privateKey, alg: 'RSA-OAEP-256' }],
    [{ key: rsa1.privateKey, alg: 'RSA-OAEP-256', kid: 'a' }, { key: rsa2.privateKey, alg: 'RSA-OAEP-256', kid: 'a' }],
    [{ key: rsa1.privateKey, alg: 'RSA-OAEP-256', kid: 'a' }, { key: rsa2.privateKey, alg: 'RSA-OAEP-256' }],
  ]) {
    const error = t.throws(() => createGuard({ ...base, encryptedTokens: { keys } }), { instanceOf: TypeError });
    t.regex(error!.message, /"encryptedTokens\.keys\[[01]\]" and "encryptedTokens\.keys\[[01]\]" share alg "RSA-OAEP-256".*distinct "kid"/);
  }
  // One key per alg needs no kid; two algs may share a kid.
  t.notThrows(() => createGuard({ ...base, encryptedTokens: { keys: [{ key: rsa1.privateKey, alg: 'RSA-OAEP-256' }, { key: rsa2.privateKey, alg: 'RSA-OAEP-512' }] } }));
});
