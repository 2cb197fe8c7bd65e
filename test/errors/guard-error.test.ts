/** The shape of a `GuardError` and which errors capture a stack trace. */
import test from 'ava';
import { InvalidTokenError } from '@resource-guard/core';

test('GuardError shape: status, code, expose, headers, error value', (t) => {
  const error = new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED');
  t.is(error.status, 401);
  t.is(error.code, 'ERR_TOKEN_EXPIRED');
  t.is(error.error, 'invalid_token');
  t.true(error.expose);
  t.deepEqual(error.headers, {});
  t.is(error.name, 'InvalidTokenError');
});

test('4xx GuardErrors skip the stack trace capture; 5xx keep theirs', async (t) => {
  const { UpstreamUnavailableError } = await import('@resource-guard/core');
  const client = new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED');
  t.is(client.stack, 'InvalidTokenError: Token expired');
  const server = new UpstreamUnavailableError('JWKS request failed');
  t.regex(server.stack ?? '', /\n\s+at /);
});
