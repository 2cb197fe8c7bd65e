/**
 * The kit's seams for callers outside a guard (the gateway): bearer reading and challenges by the
 * guard's rules, and the introspection client with the guard's request, status mapping, RFC 9701
 * checks and cache (its own key prefix, hashed in a shared store).
 */
import test from 'ava';
import { InvalidTokenError, MissingCredentialsError, type GuardError, type Store } from '@resource-guard/core';
import { attachBearerChallenge, createIntrospectionClient, readBearerToken } from '@resource-guard/core/adapter';

const withAuthorization = (...values: string[]) => ({ headers: {}, rawHeaders: values.flatMap((value) => ['Authorization', value]) });

test('readBearerToken: the guard\'s RFC 6750 rules and codes', (t) => {
  t.is(readBearerToken({ headers: { authorization: 'bearer  abc.DEF-_~+/=' } }, 100), 'abc.DEF-_~+/=');
  t.is(readBearerToken({ headers: {} }, 100), undefined);
  t.is(readBearerToken({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }, 100), undefined, 'another scheme is no token');
  t.is(readBearerToken({ headers: { authorization: 'DPoP abc' } }, 100), undefined, 'DPoP is not read here');
  const code = (request: Parameters<typeof readBearerToken>[0], max = 100) => (t.throws(() => readBearerToken(request, max)) as GuardError).code;
  t.is(code(withAuthorization('Bearer a', 'Bearer b')), 'ERR_REQUEST_MULTIPLE_AUTHORIZATION');
  t.is(code({ headers: { authorization: 'Bearer ' } }), 'ERR_REQUEST_MALFORMED_CREDENTIALS');
  t.is(code({ headers: { authorization: 'Bearer a b' } }), 'ERR_REQUEST_MALFORMED_CREDENTIALS');
  t.is(code({ headers: { authorization: 'Bearer 123456789' } }, 8), 'ERR_TOKEN_TOO_LONG');
});

test('attachBearerChallenge: a Bearer challenge on 4xx copies, 5xx untouched', (t) => {
  const missing = attachBearerChallenge(new MissingCredentialsError(), 'gw');
  t.is(missing.headers['WWW-Authenticate'], 'Bearer realm="gw"');
  const invalid = attachBearerChallenge(new InvalidTokenError('Token is not active', 'ERR_INTROSPECTION_INACTIVE'), 'gw');
  t.is(invalid.headers['WWW-Authenticate'], 'Bearer realm="gw", error="invalid_token", error_description="Token is not active"');
});

const endpoint = 'https://as.example.test/introspect';
const answering = (body: Record<string, unknown>, calls: string[]): typeof fetch => async (_input, init) => {
  calls.push(String(init?.body));
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
};

test('createIntrospectionClient: options checked at once, as the guard\'s', (t) => {
  t.throws(() => createIntrospectionClient(undefined as never), { instanceOf: TypeError });
  t.throws(() => createIntrospectionClient({ introspection: { clientId: 'gw', clientSecret: 's' } }), { message: /"introspection\.endpoint" is required/ });
  t.throws(() => createIntrospectionClient({ introspection: { endpoint: 'http://as.example.test/i', clientId: 'gw', clientSecret: 's' } }), { message: /introspection\.endpoint/ });
  t.throws(() => createIntrospectionClient({ introspection: { endpoint, clientId: 'gw', clientSecret: 's' }, jwtResponseIssuer: { issuer: '', jwksUri: 'https://as.example.test/jwks' } }), { message: /jwtResponseIssuer\.issuer/ });
});

test('createIntrospectionClient: one POST with client authentication; RFC 9701 needs an issuer', async (t) => {
  const calls: string[] = [];
  const client = createIntrospectionClient({ introspection: { endpoint, clientId: 'gw', clientSecret: 's', clientAuth: 'client_secret_post' }, fetch: answering({ active: true }, calls) });
  const response = await client.request('opaque-1');
  t.is(response.status, 200);
  t.deepEqual(Object.fromEntries(new URLSearchParams(calls[0])), { token: 'opaque-1', token_type_hint: 'access_token', client_id: 'gw', client_secret: 's' });
  await t.throwsAsync(client.verifyJwtResponse(response), { instanceOf: TypeError, message: /jwtResponseIssuer/ });
});

test('createIntrospectionClient: the cache keeps answers under its own prefix, hashed in a shared store, with single flight', async (t) => {
  const entries = new Map<string, unknown>();
  const shared: Store = {
    get: async (key) => entries.get(key),
    set: async (key, value) => void entries.set(key, value),
    add: async (key, value) => (entries.has(key) ? false : (entries.set(key, value), true)),
    delete: async (key) => void entries.delete(key),
  };
  const calls: string[] = [];
  const client = createIntrospectionClient({ introspection: { endpoint, clientId: 'gw', clientSecret: 's' }, fetch: answering({}, calls), store: shared, keyPrefix: 'phantom-token:' });
  let loads = 0;
  const lookup = client.cached(async () => {
    loads += 1;
    return { active: true, exp: Math.floor(Date.now() / 1000) + 60, jwt: 'j' };
  });
  const answers = await Promise.all([lookup('opaque-1'), lookup('opaque-1')]);
  t.is(loads, 1);
  t.is(answers[0]!.jwt, 'j');
  t.deepEqual((await lookup('opaque-1')), answers[0]);
  t.is(loads, 1);
  const keys = [...entries.keys()];
  t.is(keys.length, 1, 'the lease is gone');
  t.regex(keys[0]!, /^phantom-token:[\w-]{43}$/);
  t.false(keys[0]!.includes('opaque-1'));
});
