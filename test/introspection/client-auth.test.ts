/**
 * Introspection client authentication by a bearer token and by none (no credentials), against a
 * real loopback endpoint that refuses everything else, and the start-up checks of those options.
 * On both backends; private_key_jwt (a private key, node backend only) is in
 * client-auth.node.test.ts.
 */
import test from 'ava';
import { createGuard } from '@resource-guard/core';
import {
  CLIENT_ID, activeBody, assertRejected, clientAuthOptions, recordingLogger, requestWith, startEndpoint, type Answer,
} from '../helpers/introspection.js';

const refuse: Answer = { status: 401, body: { error: 'invalid_client' } };

test('bearer: Authorization: Bearer <bearerToken>, nothing else; a refused token never appears in errors or logs', async (t) => {
  const bearerToken = 'gateway-token-9f8e7d';
  const endpoint = await startEndpoint((request) => (request.headers.authorization === `Bearer ${bearerToken}` ? { body: activeBody() } : refuse));
  t.teardown(() => endpoint.close());
  const guard = createGuard(clientAuthOptions(endpoint.url, { clientAuth: 'bearer', bearerToken }));
  await guard.verify(requestWith('opaque'));
  t.deepEqual([...endpoint.calls[0]!.form.keys()].sort(), ['token', 'token_type_hint']);

  const logger = recordingLogger();
  const wrongToken = 'stale-gateway-token';
  const refused = createGuard(clientAuthOptions(endpoint.url, { clientAuth: 'bearer', bearerToken: wrongToken }, { logger }));
  const error = await assertRejected(t, refused.verify(requestWith('opaque')), { status: 500, code: 'ERR_INTROSPECTION_CLIENT_REJECTED' });
  const visible = [error.message, error.detail, JSON.stringify(error.headers), ...logger.lines].join('\n');
  t.false(visible.includes(wrongToken));
  t.regex(error.detail!, /"introspection\.clientAuth" \(bearer\)/);
});

test('none: no credentials at all, client_id only when configured (Hydra admin endpoint)', async (t) => {
  const endpoint = await startEndpoint((request) => (request.headers.authorization === undefined ? { body: activeBody() } : refuse));
  t.teardown(() => endpoint.close());
  await createGuard(clientAuthOptions(endpoint.url, { clientAuth: 'none' })).verify(requestWith('opaque'));
  t.deepEqual([...endpoint.calls[0]!.form.keys()].sort(), ['token', 'token_type_hint']);
  await createGuard(clientAuthOptions(endpoint.url, { clientAuth: 'none', clientId: 'public-api' })).verify(requestWith('opaque'));
  t.deepEqual([...endpoint.calls[1]!.form.keys()].sort(), ['client_id', 'token', 'token_type_hint']);
  t.is(endpoint.calls[1]!.form.get('client_id'), 'public-api');
});

test('option validation: a TypeError naming the option, at start-up', (t) => {
  const url = 'https://as.example.test/introspect';
  const bad: Array<[string, Record<string, unknown>]> = [
    ['introspection.privateKeyJwt', { clientId: CLIENT_ID, clientAuth: 'private_key_jwt' }],
    ['introspection.privateKeyJwt', { clientId: CLIENT_ID, clientAuth: 'private_key_jwt', privateKeyJwt: 'a key' }],
    ['introspection.bearerToken', { clientAuth: 'bearer' }],
    ['introspection.bearerToken', { clientAuth: 'bearer', bearerToken: 'has space' }],
    ['introspection.bearerToken', { clientId: CLIENT_ID, clientSecret: 'secret', bearerToken: 'abc' }],
    ['introspection.clientId', { clientAuth: 'none', jwtResponse: true }],
    ['introspection.clientId', { clientAuth: 'none', clientId: 'bad\nid' }],
  ];
  for (const [name, introspection] of bad) {
    const error = t.throws(() => createGuard(clientAuthOptions(url, introspection)), { instanceOf: TypeError }, name);
    t.true(error?.message.includes(`"${name}"`), `${name}: ${error?.message}`);
  }
  t.notThrows(() => createGuard(clientAuthOptions(url, { clientAuth: 'none', clientId: CLIENT_ID, jwtResponse: true })));
});

test('a clientId required only by jwtResponse (bearer, none): the TypeError names jwtResponse as the reason', (t) => {
  const url = 'https://as.example.test/introspect';
  for (const auth of [{ clientAuth: 'bearer', bearerToken: 'gateway-token' }, { clientAuth: 'none' }]) {
    const error = t.throws(() => createGuard(clientAuthOptions(url, { ...auth, jwtResponse: true })), { instanceOf: TypeError });
    t.is(error.message, 'resource-guard: "introspection.clientId" is required with "introspection.jwtResponse": an RFC 9701 answer\'s aud must name this client (RFC 9701 §5)');
  }
  const secret = t.throws(() => createGuard(clientAuthOptions(url, { clientSecret: 's' })), { instanceOf: TypeError });
  t.is(secret.message, 'resource-guard: "introspection.clientId" is required with "introspection.clientAuth" client_secret_basic');
});
