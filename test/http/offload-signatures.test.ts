/**
 * `offloadSignatures` on every adapter, counted through the crypto backend (never timed): with the
 * default (`'auto'`) a lone request's signatures (a Bearer token; a DPoP proof and its token) are
 * checked in place on the node:crypto backend, on the pool with `true`; the WebCrypto backend
 * checks every one asynchronously (`crypto.subtle`, on Node on the thread pool) whatever the
 * setting. How `'auto'` treats overlapping requests is decided in the core, below the adapters,
 * and counted there: test/pipeline/offload-auto.node.test.ts.
 */
import test from 'ava';
import { CRYPTO_BACKEND, type GuardOptions } from '@resource-guard/core';
import { FRAMEWORKS, startApp, type TestApp } from '../helpers/apps.js';
import { clientKey, signProof } from '../helpers/dpop.js';
import { send } from '../helpers/http.js';
import { AUDIENCE, useMockIssuer } from '../helpers/issuer.js';
import { useKeyOperationCounter } from '../helpers/key-operations.js';

const issuer = useMockIssuer(test);
const counter = useKeyOperationCounter(test);

async function withApp(framework: (typeof FRAMEWORKS)[number], options: Partial<GuardOptions>, run: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await startApp(framework, { issuer: issuer.issuer, audience: AUDIENCE, ...options });
  try {
    const warm = await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${await issuer.sign()}` } });
    if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}`);
    await run(app);
  } finally {
    await app.close();
  }
}

const pooledWhenWebCrypto = (count: number) => (CRYPTO_BACKEND === 'webcrypto' ? count : 0);

for (const framework of FRAMEWORKS) {
  test.serial(`[${framework}] default: a lone Bearer request's signature is checked in place (node:crypto)`, async (t) => {
    await withApp(framework, {}, async (app) => {
      const token = await issuer.sign();
      counter.reset();
      t.is((await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      t.is(counter.verify, 1);
      t.is(counter.pooled, pooledWhenWebCrypto(1));
    });
  });

  test.serial(`[${framework}] default: a lone DPoP request's proof and token are checked in place (node:crypto)`, async (t) => {
    await withApp(framework, {}, async (app) => {
      const key = await clientKey('ES256');
      const token = await issuer.sign({ cnf: { jkt: key.jkt } });
      const url = `${app.url}/protected`;
      counter.reset();
      const response = await send(url, { headers: { authorization: `DPoP ${token}`, dpop: await signProof(key, token, url) } });
      t.is(response.status, 200);
      t.is(counter.verify, 2);
      t.is(counter.pooled, pooledWhenWebCrypto(2));
    });
  });

  test.serial(`[${framework}] offloadSignatures: true: a lone request's signature is checked on the pool`, async (t) => {
    await withApp(framework, { offloadSignatures: true }, async (app) => {
      const token = await issuer.sign();
      counter.reset();
      t.is((await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      t.is(counter.verify, 1);
      t.is(counter.pooled, 1);
    });
  });
}
