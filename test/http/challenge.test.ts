/** Challenges (RFC 6750 §3, RFC 9449 §7.1): parameter quoting, the test parser, the memoised attacher. */
import test from 'ava';
import { quoteParam } from '@resource-guard/core/adapter';
import { parseChallenges } from '../helpers/challenge.js';

test('quoteParam escapes quotes and backslashes and drops control characters', (t) => {
  t.is(quoteParam('a"b\\c'), '"a\\"b\\\\c"');
  t.is(quoteParam('line\r\nInjected: 1'), '"lineInjected: 1"');
  t.is(quoteParam('ключ'), '""');
  const parsed = parseChallenges(`Bearer realm=${quoteParam('x"y\\z')}, error="invalid_token"`);
  t.is(parsed[0]?.params.realm, 'x"y\\z');
});

test('the challenge parser rejects malformed headers (so case-table checks can fail)', (t) => {
  t.throws(() => parseChallenges('Bearer realm="unterminated'));
  t.throws(() => parseChallenges('Bearer realm="a" error="b"'));
  t.throws(() => parseChallenges('Bearer realm="a",'));
  t.deepEqual(parseChallenges('Bearer realm="a", DPoP algs="ES256 PS256"'), [
    { scheme: 'Bearer', params: { realm: 'a' } },
    { scheme: 'DPoP', params: { algs: 'ES256 PS256' } },
  ]);
});

test('challenge attacher: the same header as rendering anew, remembered per distinct error, bounded', async (t) => {
  const { createChallengeAttacher, attachChallenge } = await import('../../packages/core/dist/http/challenge.js');
  // From the same module graph as the renderer (instanceof decides the Retry-After header).
  const { UpstreamUnavailableError, InvalidTokenError, InsufficientScopeError } = await import('../../packages/core/dist/errors/errors.js');
  const settings = { realm: 'api', bearer: true, dpopAlgorithms: ['ES256'] };
  const attach = createChallengeAttacher(settings);
  const tiny = createChallengeAttacher(settings, 2);
  const errors = () => [
    new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED'),
    new InvalidTokenError('Token signature is invalid', 'ERR_JWS_SIGNATURE_INVALID'),
    new InsufficientScopeError('The token lacks a required scope', 'ERR_SCOPE_INSUFFICIENT', { challengeParams: { scope: 'a b' } }),
    // Same message, other parameters: must not be answered with the header rendered for 'a b'.
    new InsufficientScopeError('The token lacks a required scope', 'ERR_SCOPE_INSUFFICIENT', { challengeParams: { scope: 'admin' } }),
    new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED', { scheme: 'DPoP' }),
  ];
  for (let round = 0; round < 3; round += 1) {
    const fresh = errors();
    errors().forEach((error, index) => {
      for (const used of ['Bearer', 'DPoP', undefined] as const) {
        const expected = attachChallenge(fresh[index]!, settings, used).headers['WWW-Authenticate'];
        t.is(attach(error, used).headers['WWW-Authenticate'], expected);
        t.is(tiny(error, used).headers['WWW-Authenticate'], expected, 'with a memory of 2, cleared again and again');
      }
    });
  }
  const bearerOnly = createChallengeAttacher({ realm: 'api', bearer: true, dpopAlgorithms: undefined });
  t.is(bearerOnly(new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED'), 'Bearer').headers['WWW-Authenticate'],
    'Bearer realm="api", error="invalid_token", error_description="Token expired"');
  t.deepEqual(bearerOnly(new UpstreamUnavailableError('JWKS request failed'), 'Bearer').headers, { 'Retry-After': '5' });
});
