/**
 * RFC 7662 introspection (issue 3): option validation, the exact request the endpoint receives,
 * every non-granting response, the local checks, and the 503/500 mapping of failures.
 */
import test, { type ExecutionContext } from 'ava';
import { createGuard, requireScopes, type GuardError } from '@resource-guard/core';
import { createErrorResponder } from '@resource-guard/core/adapter';
import { findChallenge } from '../helpers/challenge.js';
import { rejectionOf, startMockIssuer } from '../helpers/issuer.js';
import {
  AUDIENCE, CLIENT_SECRET, ISSUER, activeBody, assertRejected, closedPortUrl, optionsFor,
  recordingLogger, requestWith, startEndpoint, type Answer, type Endpoint,
} from '../helpers/introspection.js';

/** A fresh endpoint answering `answer` to every request, closed when the test ends. */
async function endpointFor(t: ExecutionContext, answer: Answer): Promise<Endpoint> {
  const endpoint = await startEndpoint(() => answer);
  t.teardown(() => endpoint.close());
  return endpoint;
}

/** A guard (cache off unless asked) whose fresh endpoint answers `answer`; returns both. */
async function guardAnswering(t: ExecutionContext, answer: Answer, introspection = {}, overrides = {}) {
  const endpoint = await endpointFor(t, answer);
  return { endpoint, guard: createGuard(optionsFor(endpoint.url, { cacheTtl: 0, ...introspection }, overrides)) };
}

test('option validation: a TypeError naming the option', (t) => {
  const bad: Array<[string, Record<string, unknown>, Record<string, unknown>?]> = [
    ['introspection.clientId', { clientId: undefined }],
    ['introspection.clientId', { clientId: '' }],
    ['introspection.clientId', { clientId: 42 }],
    ['introspection.clientSecret', { clientSecret: undefined }],
    ['introspection.clientSecret', { clientSecret: 'secret\n' }],
    ['introspection.clientAuth', { clientAuth: 'client_secret_jwt' }],
    ['introspection.endpoint', { endpoint: 'http://as.example.test/introspect' }],
    ['introspection.endpoint', { endpoint: 'not a url' }],
    ['introspection.cacheTtl', { cacheTtl: -1 }],
    ['introspection.cacheTtl', { cacheTtl: '60' }],
    ['introspection.cacheTtl', { cacheTtl: Number.POSITIVE_INFINITY }],
    ['introspection.inactiveCacheTtl', { inactiveCacheTtl: -1 }],
    ['introspection.inactiveCacheTtl', { cacheTtl: 10, inactiveCacheTtl: 11 }],
    ['introspection.timeout', { timeout: 0 }],
    ['introspection.jwtResponse', { jwtResponse: 'yes' }],
    ['introspection.jwtResponseMaxAge', { jwtResponseMaxAge: 0 }],
    ['introspection.tokenTypeHint', { tokenTypeHint: '' }],
    ['introspection.tokenTypeHint', { tokenTypeHint: true }],
    ['introspection.introspectJwts', { introspectJwts: 1 }],
    ['introspection.cacheTTL', { cacheTTL: 60 }],
    ['introspection.endpoint', { endpoint: undefined }, { issuer: [ISSUER, 'https://other.example.test'] }],
  ];
  for (const [name, introspection, overrides] of bad) {
    const options = optionsFor('https://as.example.test/introspect', introspection, overrides);
    const error = t.throws(() => createGuard(options), { instanceOf: TypeError }, name);
    t.true(error?.message.includes(`"${name}"`), `${name}: ${error?.message}`);
  }
  for (const introspection of [null, [], 'https://as.example.test']) {
    t.throws(() => createGuard({ ...optionsFor(undefined), introspection: introspection as never }), { instanceOf: TypeError });
  }
  // Accepted: loopback http, http with allowInsecureRequests, the endpoint from metadata with one issuer.
  t.notThrows(() => createGuard(optionsFor('http://127.0.0.1:1/introspect')));
  t.notThrows(() => createGuard(optionsFor('http://as.internal/introspect', {}, { allowInsecureRequests: true })));
  t.notThrows(() => createGuard(optionsFor(undefined)));
  t.notThrows(() => createGuard(optionsFor(undefined, { cacheTtl: 0 })), 'the inactive TTL default follows cacheTtl down');
  t.notThrows(() => createGuard(optionsFor(undefined, { tokenTypeHint: false, clientAuth: 'client_secret_post' })));
});

test('the request: POST, form body with +, / and = encoded, Basic auth form-encoded before base64', async (t) => {
  const token = 'tok+en/with.sl-ash_~==';
  const { guard, endpoint } = await guardAnswering(t, { body: activeBody() }, { clientId: 'a b:c', clientSecret: 'p%ss+word' });
  await guard.verify(requestWith(token, 'Bearer', { dpop: 'proof-from-the-caller', cookie: 'session=1' }));
  t.is(endpoint.calls.length, 1);
  const [call] = endpoint.calls;
  t.is(call!.method, 'POST');
  t.is(call!.url, '/introspect', 'nothing in the URL: no token, no query');
  t.is(call!.headers['content-type'], 'application/x-www-form-urlencoded');
  t.is(call!.headers.accept, 'application/json');
  t.is(call!.body, 'token=tok%2Ben%2Fwith.sl-ash_%7E%3D%3D&token_type_hint=access_token');
  t.is(call!.form.get('token'), token);
  // RFC 6749 §2.3.1: form-urlencode id and secret, then base64 "id:secret".
  const [scheme, value] = (call!.headers.authorization ?? '').split(' ');
  t.is(scheme, 'Basic');
  const decoded = Buffer.from(value!, 'base64').toString('utf8');
  t.is(decoded, 'a+b%3Ac:p%25ss%2Bword');
  const [id, secret] = decoded.split(':').map((part) => new URLSearchParams(`x=${part}`).get('x'));
  t.is(id, 'a b:c');
  t.is(secret, 'p%ss+word');
  t.is(call!.headers.dpop, undefined, 'the caller\'s DPoP proof is not forwarded');
  t.is(call!.headers.cookie, undefined);
});

test('client_secret_post: credentials in the form body, no Authorization header', async (t) => {
  const { guard, endpoint } = await guardAnswering(t, { body: activeBody() }, {
    clientId: 'a b:c', clientSecret: 'p%ss', clientAuth: 'client_secret_post',
  });
  await guard.verify(requestWith('post-auth-token'));
  const [call] = endpoint.calls;
  t.is(call!.headers.authorization, undefined);
  t.is(call!.body, 'token=post-auth-token&token_type_hint=access_token&client_id=a+b%3Ac&client_secret=p%25ss');
  t.is(call!.form.get('client_id'), 'a b:c');
  t.is(call!.form.get('client_secret'), 'p%ss');
});

test('tokenTypeHint: custom value, or none with false', async (t) => {
  const custom = await guardAnswering(t, { body: activeBody() }, { tokenTypeHint: 'refresh_token' });
  await custom.guard.verify(requestWith('hint-custom'));
  t.is(custom.endpoint.calls[0]!.form.get('token_type_hint'), 'refresh_token');
  const none = await guardAnswering(t, { body: activeBody() }, { tokenTypeHint: false });
  await none.guard.verify(requestWith('hint-none'));
  t.false(none.endpoint.calls[0]!.form.has('token_type_hint'));
});

test('active token → AuthContext with format opaque, every member kept', async (t) => {
  const body = activeBody({ tenant: 'acme', ext: { nested: [1, 2] }, iss: ISSUER });
  const { guard } = await guardAnswering(t, { body });
  const auth = await guard.verify(requestWith('active-context'));
  t.is(auth.format, 'opaque');
  t.is(auth.scheme, 'Bearer');
  t.is(auth.subject, 'user-123');
  t.is(auth.clientId, 'client-abc');
  t.is(auth.issuer, ISSUER);
  t.deepEqual(auth.audience, [AUDIENCE]);
  t.deepEqual(auth.scopes, ['orders:read', 'profile']);
  t.is(auth.expiresAt, body.exp as number);
  t.is(auth.claims.username, 'alice');
  t.is(auth.claims.tenant, 'acme');
  t.deepEqual(auth.claims.ext, { nested: [1, 2] });
  t.is(auth.token, 'active-context');
  t.false(JSON.stringify(auth).includes('active-context'), 'the token is not enumerable');
});

test('an active answer without aud is refused by default, naming the AS\'s omission and the opt-out', async (t) => {
  // django-oauth-toolkit's answers: scope, exp, client_id, username, no aud.
  const { guard } = await guardAnswering(t, { body: activeBody({ aud: undefined }) });
  const error = await rejectionOf(guard.verify(requestWith('no-aud')));
  t.is(error.status, 401);
  t.is(error.code, 'ERR_INTROSPECTION_AUDIENCE_MISSING');
  t.is(findChallenge(error.headers['WWW-Authenticate'], 'Bearer')?.params.error, 'invalid_token');
  t.regex(error.detail!, /the introspection answer has no "aud".*introspection\.allowMissingAudience: true/);
});

test('a minimal active answer (no exp, aud, iss) is accepted with allowMissingAudience; issuer falls back to the configured one', async (t) => {
  const { guard } = await guardAnswering(t, { body: { active: true } }, { allowMissingAudience: true });
  const auth = await guard.verify(requestWith('minimal-active'));
  t.is(auth.issuer, ISSUER);
  t.deepEqual(auth.audience, []);
  t.deepEqual(auth.scopes, []);
  t.is(auth.expiresAt, undefined);
});

test('django-oauth-toolkit\'s answer (username, client_id, no sub): auth.username set, auth.subject undefined (never guessed)', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const body = { active: true, scope: 'read write', exp: now + 300, client_id: 'dot-client', username: 'alice' };
  const { guard } = await guardAnswering(t, { body }, { allowMissingAudience: true });
  const auth = await guard.verify(requestWith('dot-answer'));
  t.is(auth.username, 'alice');
  t.is(auth.subject, undefined);
  t.is(auth.clientId, 'dot-client');
  t.like(JSON.parse(JSON.stringify(auth)), { username: 'alice', clientId: 'dot-client' });
  // The other members stay where they were: a `sub` beside it is the subject.
  const withSub = await guardAnswering(t, { body: { ...body, sub: 'user-9' } }, { allowMissingAudience: true });
  t.like(await withSub.guard.verify(requestWith('dot-sub')), { subject: 'user-9', username: 'alice' });
});

test('scopes from the response are enforced per route', async (t) => {
  const { guard } = await guardAnswering(t, { body: activeBody({ scope: 'orders:read' }) });
  const auth = await guard.verify(requestWith('scoped-token'));
  t.notThrows(() => guard.authorize(auth, requireScopes('orders:read')));
  const error = t.throws(() => guard.authorize(auth, requireScopes('orders:write'))) as unknown as GuardError;
  t.is(error.status, 403);
  t.is(error.code, 'ERR_SCOPE_INSUFFICIENT');
  const challenge = findChallenge(error.headers['WWW-Authenticate'], 'Bearer');
  t.is(challenge?.params.error, 'insufficient_scope');
  t.is(challenge?.params.scope, 'orders:write');
});

const notGranting: Array<[string, object, string]> = [
  ['active false', { active: false }, 'ERR_INTROSPECTION_INACTIVE'],
  ['active "true" (a string)', { ...activeBody(), active: 'true' }, 'ERR_INTROSPECTION_MALFORMED'],
  ['active 1', { ...activeBody(), active: 1 }, 'ERR_INTROSPECTION_MALFORMED'],
  ['active missing', activeBody({ active: undefined }), 'ERR_INTROSPECTION_MALFORMED'],
  ['active null', { ...activeBody(), active: null }, 'ERR_INTROSPECTION_MALFORMED'],
  ['active "false"', { active: 'false' }, 'ERR_INTROSPECTION_MALFORMED'],
  ['active [true]', { active: [true] }, 'ERR_INTROSPECTION_MALFORMED'],
];
for (const [title, body, code] of notGranting) {
  test(`not granting: ${title} → 401 ${code}`, async (t) => {
    const token = `not-granting-${title.replace(/\W+/g, '-')}`;
    const { guard } = await guardAnswering(t, { body });
    await assertRejected(t, guard.verify(requestWith(token)), { status: 401, code }, token);
  });
}

const garbage: Array<[string, Answer]> = [
  ['HTML with 200', { headers: { 'content-type': 'text/html' }, body: '<html><body>Login</body></html>' }],
  ['truncated JSON', { headers: { 'content-type': 'application/json' }, body: '{"active": tr' }],
  ['JSON true', { headers: { 'content-type': 'application/json' }, body: 'true' }],
  ['JSON array', { headers: { 'content-type': 'application/json' }, body: '[{"active":true}]' }],
  ['JSON string', { headers: { 'content-type': 'application/json' }, body: '"active"' }],
  ['empty body', { body: '' }],
  ['HTTP 500', { status: 500, body: { error: 'server_error' } }],
  ['HTTP 502 HTML', { status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>Bad Gateway</h1>' }],
  ['HTTP 503', { status: 503, body: '' }],
  ['HTTP 302 redirect (not followed)', { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' }, body: '' }],
  ['HTTP 404', { status: 404, body: '' }],
  ['HTTP 400 invalid_request', { status: 400, body: { error: 'invalid_request' } }],
  ['connection reset', { reset: true }],
  ['JSON nested 100,000 deep (would overflow the stack when copied)', {
    headers: { 'content-type': 'application/json' },
    body: `{"active":true,"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
  }],
  ['a body that is not valid UTF-8', {
    headers: { 'content-type': 'application/json' },
    body: Buffer.concat([Buffer.from('{"active":true,"sub":"'), Buffer.from([0xff]), Buffer.from('"}')]),
  }],
];
for (const [title, answer] of garbage) {
  test(`unusable answer: ${title} → 503 with Retry-After`, async (t) => {
    const token = `garbage-${title.replace(/\W+/g, '-')}`;
    const { guard } = await guardAnswering(t, answer);
    await assertRejected(t, guard.verify(requestWith(token)), { status: 503, code: 'ERR_INTROSPECTION_UNAVAILABLE' }, token);
  });
}

test('endpoint timing out → 503 after the configured timeout', async (t) => {
  const { guard } = await guardAnswering(t, { hang: true }, { timeout: 150 });
  const started = Date.now();
  await assertRejected(t, guard.verify(requestWith('timeout-token')), { status: 503, code: 'ERR_INTROSPECTION_UNAVAILABLE' });
  t.true(Date.now() - started < 5000, 'the timeout is honoured, not the OS connect timeout');
});

test('endpoint refusing connections → 503', async (t) => {
  const guard = createGuard(optionsFor(await closedPortUrl()));
  await assertRejected(t, guard.verify(requestWith('refused-token')), { status: 503, code: 'ERR_INTROSPECTION_UNAVAILABLE' }, 'refused-token');
});

for (const [title, answer] of [
  ['401', { status: 401, headers: { 'www-authenticate': 'Basic realm="as"' }, body: { error: 'invalid_client' } }],
  ['403', { status: 403, body: '' }],
  ['400 invalid_client', { status: 400, body: { error: 'invalid_client' } }],
] as Array<[string, Answer]>) {
  test(`endpoint rejecting our client credentials (${title}) → 500, one log line with the options to check, without the token`, async (t) => {
    const logger = recordingLogger({ debug: true });
    const token = `client-rejected-${title.replace(/\W+/g, '-')}`;
    const { guard } = await guardAnswering(t, answer, {}, { logger, logRejections: true });
    const error = await assertRejected(t, guard.verify(requestWith(token)), { status: 500, code: 'ERR_INTROSPECTION_CLIENT_REJECTED' }, token);
    // One rejection, one line: the guard's rejection line, which prints the detail with the hint.
    t.is(logger.lines.length, 1, logger.lines.join('\n'));
    t.true(logger.lines[0]!.startsWith('error: resource-guard: rejected 500 ERR_INTROSPECTION_CLIENT_REJECTED'), logger.lines[0]);
    t.true(logger.lines[0]!.includes(error.detail!));
    t.regex(error.detail!, /check "introspection\.clientId", "introspection\.clientAuth" \(client_secret_basic\) and its credential$/);
    t.false(logger.lines.join('\n').includes(token));
    t.false(logger.lines.join('\n').includes(CLIENT_SECRET));
    // In production (no rejection lines), an adapter's error handler logs it: once, with the same hint.
    const quiet = recordingLogger();
    const { guard: production } = await guardAnswering(t, answer, {}, { logger: quiet, logRejections: false });
    const rejected = await rejectionOf(production.verify(requestWith(token)));
    t.truthy(createErrorResponder({ logger: quiet })(rejected));
    t.is(quiet.lines.length, 1, quiet.lines.join('\n'));
    t.true(quiet.lines[0]!.includes(rejected.detail!));
  });
}

test('400 unsupported_token_type → 401 (the token, not the AS, is the problem)', async (t) => {
  const { guard } = await guardAnswering(t, { status: 400, body: { error: 'unsupported_token_type' } });
  await assertRejected(t, guard.verify(requestWith('unsupported-type')), { status: 401, code: 'ERR_INTROSPECTION_TOKEN_UNSUPPORTED' });
});

const now = () => Math.floor(Date.now() / 1000);
const localChecks: Array<[string, () => Record<string, unknown>, string]> = [
  ['expired', () => activeBody({ exp: now() - 60 }), 'ERR_TOKEN_EXPIRED'],
  ['exp as a string', () => activeBody({ exp: String(now() + 60) }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['not yet valid (nbf)', () => activeBody({ nbf: now() + 600 }), 'ERR_TOKEN_NOT_YET_VALID'],
  ['issued in the future', () => activeBody({ iat: now() + 600 }), 'ERR_TOKEN_IAT_IN_FUTURE'],
  ['another audience', () => activeBody({ aud: 'https://other-api.example.test' }), 'ERR_TOKEN_AUDIENCE_INVALID'],
  ['audience list without ours', () => activeBody({ aud: ['https://a.example.test', 'https://b.example.test'] }), 'ERR_TOKEN_AUDIENCE_INVALID'],
  ['audience of the wrong type', () => activeBody({ aud: 42 }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['an untrusted issuer', () => activeBody({ iss: 'https://evil.example.test' }), 'ERR_INTROSPECTION_ISSUER_UNTRUSTED'],
  ['issuer of the wrong type', () => activeBody({ iss: ['https://as.example.test'] }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['scope not a string', () => activeBody({ scope: ['orders:read'] }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['sub not a string', () => activeBody({ sub: 7 }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['username not a string', () => activeBody({ username: { name: 'alice' } }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['token_type not a string (cannot dodge the DPoP binding check)', () => activeBody({ token_type: ['DPoP'] }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['cnf not an object', () => activeBody({ cnf: 'jkt' }), 'ERR_TOKEN_CLAIM_INVALID'],
  ['DPoP-bound (token_type DPoP) sent as Bearer', () => activeBody({ token_type: 'DPoP' }), 'ERR_DPOP_BEARER_DOWNGRADE'],
  ['DPoP-bound (cnf.jkt) sent as Bearer', () => activeBody({ cnf: { jkt: 'x'.repeat(43) } }), 'ERR_DPOP_BEARER_DOWNGRADE'],
];
for (const [title, body, code] of localChecks) {
  test(`active but ${title} → 401 ${code}`, async (t) => {
    const token = `local-${title.replace(/\W+/g, '-')}`;
    const { guard } = await guardAnswering(t, { body: body() });
    await assertRejected(t, guard.verify(requestWith(token)), { status: 401, code }, token);
  });
}

test('local checks accept what they should: audience in a list, a second configured issuer, exp within tolerance', async (t) => {
  // A fixed clock: the tolerance case must not depend on how long the test takes.
  const fixed = Date.now();
  const options = { issuer: [ISSUER, 'https://second-issuer.example.test'], clock: () => fixed };
  for (const body of [
    activeBody({ aud: ['https://x.example.test', AUDIENCE], iat: Math.floor(fixed / 1000) }),
    activeBody({ iss: 'https://second-issuer.example.test', iat: Math.floor(fixed / 1000) }),
    activeBody({ exp: Math.floor(fixed / 1000) - 2, iat: Math.floor(fixed / 1000) - 60 }),
  ]) {
    const { guard } = await guardAnswering(t, { body }, {}, options);
    t.is((await guard.verify(requestWith('accepted-token'))).format, 'opaque');
  }
});

test('endpoint from the issuer metadata (introspection_endpoint); missing → 500; discovery down → 503', async (t) => {
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  const endpoint = await endpointFor(t, { body: activeBody({ iss: issuer.issuer }) });
  issuer.metadata = { introspection_endpoint: endpoint.url };
  const options = { ...optionsFor(undefined, { cacheTtl: 0 }), issuer: issuer.issuer };
  const auth = await createGuard(options).verify(requestWith('from-metadata'));
  t.is(auth.issuer, issuer.issuer);
  t.is(endpoint.calls.length, 1);

  issuer.metadata = {};
  const logger = recordingLogger({ debug: true });
  const unknown = await assertRejected(t, createGuard({ ...options, logger, logRejections: true }).verify(requestWith('no-endpoint')), {
    status: 500, code: 'ERR_INTROSPECTION_ENDPOINT_UNKNOWN',
  });
  t.is(logger.lines.length, 1, 'one rejection, one line');
  t.true(logger.lines[0]!.includes('set "introspection.endpoint"') && logger.lines[0]!.includes(unknown.detail!));

  issuer.mode = 'error500';
  await assertRejected(t, createGuard(options).verify(requestWith('discovery-down')), { status: 503, code: 'ERR_DISCOVERY_UNAVAILABLE' });
  t.is(endpoint.calls.length, 1);
});

test('JWT-shaped tokens go to JWT validation unless introspectJwts is set', async (t) => {
  const issuer = await startMockIssuer();
  t.teardown(() => issuer.close());
  const endpoint = await endpointFor(t, { body: { active: false } });
  const jwt = await issuer.sign();
  const base = { ...optionsFor(endpoint.url, { cacheTtl: 0 }), issuer: issuer.issuer };
  const auth = await createGuard(base).verify(requestWith(jwt));
  t.is(auth.format, 'jwt');
  t.is(endpoint.calls.length, 0, 'not introspected');

  const introspecting = { ...base, introspection: { ...base.introspection!, introspectJwts: true } };
  await assertRejected(t, createGuard(introspecting).verify(requestWith(jwt)), { status: 401, code: 'ERR_INTROSPECTION_INACTIVE' });
  t.is(endpoint.calls.length, 1, 'introspected');
  t.is(endpoint.calls[0]!.form.get('token'), jwt);
});

test('without introspection an opaque token is invalid_token', async (t) => {
  const guard = createGuard({ issuer: ISSUER, audience: AUDIENCE });
  await assertRejected(t, guard.verify(requestWith('opaque-no-introspection')), { status: 401, code: 'ERR_TOKEN_FORMAT_UNSUPPORTED' });
});

test('the guard\'s fetch option is used for introspection (proxies, custom agents)', async (t) => {
  const seen: string[] = [];
  const guard = createGuard(optionsFor('https://as.example.test/introspect', {}, {
    fetch: async (input, init) => {
      seen.push(`${init?.method} ${String(input)}`);
      return new Response(JSON.stringify(activeBody()), { headers: { 'content-type': 'application/json' } });
    },
  }));
  await guard.verify(requestWith('custom-fetch'));
  t.deepEqual(seen, ['POST https://as.example.test/introspect']);
});
