/** The JOSE rules shared by access tokens, DPoP proofs and RFC 9701 responses. */
import test from 'ava';
import { DEFAULT_ALGORITHMS, DEFAULT_DPOP_ALGORITHMS, SUPPORTED_ALGORITHMS } from '@resource-guard/core';
import {
  ASYMMETRIC_ALGORITHMS, hasPrivateMembers, isPlainObject, normalizeTyp, parseSecret,
} from '../../packages/core/dist/jws/jose-rules.js';

test('typ is compared as a media type: case-insensitive, application/ optional', (t) => {
  for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/At+JWT']) t.is(normalizeTyp(typ), 'at+jwt', typ);
  t.is(normalizeTyp('application/token-introspection+jwt'), 'token-introspection+jwt');
  t.is(normalizeTyp('dpop+jwt'), 'dpop+jwt');
  t.is(normalizeTyp('x-application/at+jwt'), 'x-application/at+jwt', 'only a leading application/ is dropped');
  for (const typ of [undefined, null, 1, ['at+jwt']]) t.is(normalizeTyp(typ), undefined);
});

test('private JWK members: every RFC 7518 one, own members only', (t) => {
  for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) t.true(hasPrivateMembers({ kty: 'RSA', [name]: 'x' }), name);
  t.false(hasPrivateMembers({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }));
  t.false(hasPrivateMembers(Object.create({ d: 'inherited' }) as Record<string, unknown>));
});

test('plain objects and secrets', (t) => {
  t.true(isPlainObject({}));
  for (const value of [null, [], 'x', 1, undefined]) t.false(isPlainObject(value), String(value));
  t.is(parseSecret('s'.repeat(32), 'secret').length, 32);
  t.is(parseSecret(new Uint8Array(40), 'secret').length, 40);
  t.throws(() => parseSecret('short', 'dpop.nonce.secret'), { instanceOf: TypeError, message: /"dpop\.nonce\.secret"/ });
  t.throws(() => parseSecret(42, 'secret'), { instanceOf: TypeError, message: /"secret"/ });
});

test('one algorithm list behind every default', (t) => {
  t.deepEqual(DEFAULT_ALGORITHMS, ASYMMETRIC_ALGORITHMS);
  t.deepEqual([...DEFAULT_DPOP_ALGORITHMS].sort(), [...ASYMMETRIC_ALGORITHMS].sort());
  t.deepEqual(DEFAULT_DPOP_ALGORITHMS.slice(0, 3), ['ES256', 'ES384', 'ES512'], 'ECDSA first in DPoP algs');
  t.deepEqual(SUPPORTED_ALGORITHMS, [...ASYMMETRIC_ALGORITHMS, 'HS256', 'HS384', 'HS512']);
  t.false(SUPPORTED_ALGORITHMS.some((alg) => alg.toLowerCase() === 'none'));
});
