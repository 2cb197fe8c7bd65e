/**
 * Encrypted access tokens end to end: the dev authorization server (oidc-provider, its
 * resource-server `jwt.encrypt` setting) issues a nested JWT (JWE around the signed at+jwt) for
 * its encrypted resource; both adapters decrypt it with the resource's private key.
 */
import test from 'ava';
import { RESOURCE_ENCRYPTION_KEY } from '@resource-guard-tools/dev-authorization-server';
import type { JsonWebKey } from 'node:crypto';
import { FRAMEWORKS, startApp } from '../helpers/apps.js';
import { findChallenge } from '../helpers/challenge.js';
import { getToken, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { send } from '../helpers/http.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev?.close();
});

const decryption = () => ({
  keys: [{ key: RESOURCE_ENCRYPTION_KEY as JsonWebKey, alg: RESOURCE_ENCRYPTION_KEY.alg, kid: RESOURCE_ENCRYPTION_KEY.kid }],
  required: true,
});

for (const framework of FRAMEWORKS) {
  test(`[${framework}] an encrypted access token from the dev AS is decrypted and verified; a plain one is refused when encryption is required`, async (t) => {
    const { resources, issuer, clients } = dev.server;
    const app = await startApp(framework, { issuer, audience: [resources.encrypted, resources.jwt], encryptedTokens: decryption() });
    try {
      const { access_token: encrypted } = await getToken(dev, clients.demo, { scope: 'orders:read', resource: resources.encrypted });
      t.is(encrypted.split('.').length, 5, 'a compact JWE');
      const ok = await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${encrypted}` } });
      t.is(ok.status, 200);
      const { auth } = JSON.parse(ok.body) as { auth: { format: string; clientId: string; audience: string[]; scopes: string[] } };
      t.like(auth, { format: 'jwt', clientId: 'demo-client', audience: [resources.encrypted] });
      t.true(auth.scopes.includes('orders:read'));

      const { access_token: plain } = await getToken(dev, clients.demo, { scope: 'orders:read', resource: resources.jwt });
      const refused = await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${plain}` } });
      t.is(refused.status, 401);
      t.is(findChallenge(refused.headers['www-authenticate'] as string, 'Bearer')?.params.error, 'invalid_token');
      t.is((app.errors.at(-1) as { code?: string }).code, 'ERR_JWE_REQUIRED');
    } finally {
      await app.close();
    }
  });
}
