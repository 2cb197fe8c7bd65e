/**
 * The compact direct JWE (`dir`, `A256GCM`) the gateway's cookies are made of, on the crypto
 * backend's AES-GCM: interoperable with jose both ways (a cookie sealed before the gateway left
 * jose still opens), and every malformed or foreign value refused, never thrown.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { openDirectJwe, sealDirectJwe } from '@resource-guard/core/adapter';

const key = new Uint8Array(randomBytes(32));
const keyFor = () => key;
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

test('a sealed value opens, with its header, here and in jose', async (t) => {
  const value = await sealDirectJwe('plain text ✓', { kid: 'k1', rgp: 'at', exp: 2_000_000_000 }, key);
  t.is(value.split('.').length, 5);
  t.deepEqual(await openDirectJwe(value, keyFor), {
    header: { kid: 'k1', rgp: 'at', exp: 2_000_000_000, alg: 'dir', enc: 'A256GCM' },
    plaintext: 'plain text ✓',
  });
  const { plaintext, protectedHeader } = await compactDecrypt(value, key);
  t.is(new TextDecoder().decode(plaintext), 'plain text ✓');
  t.like(protectedHeader, { alg: 'dir', enc: 'A256GCM', kid: 'k1', rgp: 'at' });
  t.is((await openDirectJwe(await sealDirectJwe('', {}, key), keyFor))?.plaintext, '', 'the empty plaintext');
});

test('the caller cannot override alg or enc, and two seals differ (a fresh IV)', async (t) => {
  const value = await sealDirectJwe('x', { alg: 'none', enc: 'A128GCM' }, key);
  t.like((await openDirectJwe(value, keyFor))?.header, { alg: 'dir', enc: 'A256GCM' });
  t.not(await sealDirectJwe('x', {}, key), await sealDirectJwe('x', {}, key));
});

test('a value jose sealed (a cookie issued before) opens', async (t) => {
  const value = await new CompactEncrypt(new TextEncoder().encode('legacy'))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'k1', rgp: 'rt' })
    .encrypt(key);
  t.like(await openDirectJwe(value, keyFor), { plaintext: 'legacy', header: { kid: 'k1', rgp: 'rt' } });
});

test('the key is chosen from the header before decryption; no key, a wrong key or a short key refuses', async (t) => {
  const value = await sealDirectJwe('x', { kid: 'k1' }, key);
  const seen: unknown[] = [];
  await openDirectJwe(value, (header) => {
    seen.push(header.kid);
    return key;
  });
  t.deepEqual(seen, ['k1']);
  t.is(await openDirectJwe(value, () => undefined), undefined);
  t.is(await openDirectJwe(value, () => new Uint8Array(randomBytes(32))), undefined);
  t.is(await openDirectJwe(value, () => key.subarray(0, 16)), undefined);
});

test('malformed, foreign or tampered values are refused, never thrown', async (t) => {
  const value = await sealDirectJwe('secret', { kid: 'k1' }, key);
  const [header, , iv, ciphertext, tag] = value.split('.') as [string, string, string, string, string];
  const flip = (segment: string): string => `${segment.slice(0, -2)}${segment.at(-2) === 'A' ? 'B' : 'A'}${segment.at(-1)}`;
  const refused = [
    '', 'a.b.c', `${value}.x`, `${header}.x.${iv}.${ciphertext}.${tag}`,
    `${b64({ alg: 'dir', enc: 'A256GCM', kid: 'k2' })}..${iv}.${ciphertext}.${tag}`, // another header: the tag fails
    `${flip(header)}..${iv}.${ciphertext}.${tag}`,
    `${header}..${flip(iv)}.${ciphertext}.${tag}`,
    `${header}..${iv}.${flip(ciphertext)}.${tag}`,
    `${header}..${iv}.${ciphertext}.${flip(tag)}`,
    `${header}..${iv}A.${ciphertext}.${tag}`, // not canonical base64url
    `${header}..${iv}.${ciphertext}.${tag.slice(0, -2)}`, // a short tag
    `${header}..${Buffer.from(randomBytes(16)).toString('base64url')}.${ciphertext}.${tag}`, // a 16-byte IV
    `${header}..${iv}.${ciphertext}+.${tag}`,
    `${b64({ alg: 'A256KW', enc: 'A256GCM' })}..${iv}.${ciphertext}.${tag}`,
    `${b64({ alg: 'dir', enc: 'A128GCM' })}..${iv}.${ciphertext}.${tag}`,
    `${b64({ alg: 'dir', enc: 'A256GCM', zip: 'DEF' })}..${iv}.${ciphertext}.${tag}`,
    `${b64({ alg: 'dir', enc: 'A256GCM', crit: ['exp'] })}..${iv}.${ciphertext}.${tag}`,
    `${b64(['dir'])}..${iv}.${ciphertext}.${tag}`,
  ];
  for (const candidate of refused) t.is(await openDirectJwe(candidate, keyFor), undefined, candidate);
  t.is((await openDirectJwe(value, keyFor))?.plaintext, 'secret', 'the untouched value still opens');
});

test('invalid UTF-8 plaintext is refused', async (t) => {
  const value = await new CompactEncrypt(Uint8Array.of(0xff, 0xfe)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
  t.is(await openDirectJwe(value, keyFor), undefined);
});
