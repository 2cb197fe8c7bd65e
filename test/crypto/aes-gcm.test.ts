/**
 * AES-256-GCM in both crypto backends (what seals exchanged tokens in a shared store): each opens
 * what the other sealed, and nothing opens under another key, other associated data, or with one
 * byte changed.
 */
import test from 'ava';
import { createCipheriv, randomBytes } from 'node:crypto';
import type { CryptoBackend } from '../../packages/core/dist/crypto/backend.js';
import * as nodeBackend from '../../packages/core/dist/crypto/node-backend.js';
import * as webBackend from '../../packages/core/dist/crypto/web-backend.js';

const backends: Array<[string, CryptoBackend]> = [['node', nodeBackend], ['webcrypto', webBackend]];

test('seal and open across backends; wrong key, wrong aad, tampered or short input → undefined', async (t) => {
  const key = randomBytes(32);
  const plaintext = JSON.stringify({ accessToken: 'tök€n', n: 1 });
  for (const [sealer, seal] of backends) {
    const sealed = await seal.sealAesGcm(key, plaintext, 'exchange:k1');
    t.regex(sealed, /^[\w-]+$/);
    t.false(sealed.includes('tök'));
    t.not(await seal.sealAesGcm(key, plaintext, 'exchange:k1'), sealed, `${sealer}: a fresh IV per seal`);
    for (const [opener, open] of backends) {
      const where = `${sealer} → ${opener}`;
      t.is(await open.openAesGcm(key, sealed, 'exchange:k1'), plaintext, where);
      t.is(await open.openAesGcm(randomBytes(32), sealed, 'exchange:k1'), undefined, `${where}: another key`);
      t.is(await open.openAesGcm(key, sealed, 'exchange:k2'), undefined, `${where}: other associated data`);
      const bytes = Buffer.from(sealed, 'base64url');
      bytes[20]! ^= 1;
      t.is(await open.openAesGcm(key, bytes.toString('base64url'), 'exchange:k1'), undefined, `${where}: tampered`);
      t.is(await open.openAesGcm(key, 'AAAA', 'exchange:k1'), undefined, `${where}: too short`);
    }
  }
});

test('a sealed value that is not UTF-8 opens to undefined', async (t) => {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from('a'));
  const sealed = Buffer.concat([iv, cipher.update(Buffer.from([0x6f, 0xff, 0x6b])), cipher.final(), cipher.getAuthTag()]).toString('base64url');
  for (const [name, backend] of backends) t.is(await backend.openAesGcm(key, sealed, 'a'), undefined, name);
});
