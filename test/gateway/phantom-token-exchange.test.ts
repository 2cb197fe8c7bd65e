/**
 * The phantom-token exchange on its own: options, cache lifetimes (`Cache-Control: max-age`,
 * `exp`), answers a real authorization server would not give (through an injected `fetch`), and
 * the RFC 9701 form against the real dev AS.
 */
import test from 'ava';
import { createPhantomToken, maxAgeOf, type PhantomTokenOptions } from '@resource-guard/gateway';
import { decodeJwt, revoke, startDevAs, type DevAs } from '../helpers/dev-as.js';
import { opaqueToken, phantomOptions } from '../helpers/gateway.js';

let dev: DevAs;
test.before(async () => {
  dev = await startDevAs();
});
test.after.always(async () => {
  await dev?.close();
});

const request = (token: string) => ({ method: 'GET', headers: { authorization: `Bearer ${token}` } });
const opaque = () => opaqueToken(dev);
const base = (overrides: Partial<PhantomTokenOptions> = {}): PhantomTokenOptions => phantomOptions(dev, overrides);

/** A fetch that calls the real AS and counts, optionally rewriting the answer's headers. */
function countingFetch(cacheControl?: string): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: async (input, init) => {
      calls += 1;
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      if (cacheControl !== undefined) headers.set('cache-control', cacheControl);
      return new Response(await response.arrayBuffer(), { status: response.status, headers });
    },
  };
}

test('maxAgeOf() reads max-age only', (t) => {
  t.is(maxAgeOf('private, max-age=30'), 30);
  t.is(maxAgeOf('max-age="7"'), 7);
  t.is(maxAgeOf('no-store'), Infinity);
  t.is(maxAgeOf(''), Infinity);
});

test('Cache-Control: max-age=0 disables caching; without it one call serves the token until the TTL', async (t) => {
  const uncached = countingFetch('max-age=0');
  const exchange = createPhantomToken(base({ fetch: uncached.fetch }));
  const token = await opaque();
  await exchange.exchange(request(token));
  await exchange.exchange(request(token));
  t.is(uncached.calls(), 2);

  const cached = countingFetch();
  const cachedExchange = createPhantomToken(base({ fetch: cached.fetch }));
  const jwt = await cachedExchange.exchange(request(token));
  t.is(await cachedExchange.exchange(request(token)), jwt);
  t.is(cached.calls(), 1);
});

test('Cache-Control: no-store keeps the answer out of the cache, active or not (RFC 9111 §5.2.2.5)', async (t) => {
  const token = await opaque();
  for (const value of ['no-store', 'private, no-store, max-age=60']) {
    const counted = countingFetch(value);
    const exchange = createPhantomToken(base({ fetch: counted.fetch }));
    await exchange.exchange(request(token));
    await exchange.exchange(request(token));
    t.is(counted.calls(), 2, value);
  }
  const inactive = (cacheControl: string) => {
    let calls = 0;
    const fetchInactive: typeof fetch = async () => {
      calls += 1;
      return new Response('{"active":false}', { headers: { 'content-type': 'application/json', 'cache-control': cacheControl } });
    };
    return { fetch: fetchInactive, calls: () => calls };
  };
  for (const [value, expected] of [['no-store', 2], ['', 1]] as const) {
    const counted = inactive(value);
    const exchange = createPhantomToken(base({ fetch: counted.fetch }));
    for (let i = 0; i < 2; i += 1) await t.throwsAsync(exchange.exchange(request('opaque-token')), { message: 'Token is not active' });
    t.is(counted.calls(), expected, `inactive, Cache-Control: ${value}`);
  }
});

test('the cache never outlives the JWT: an entry past exp is introspected again', async (t) => {
  let now = Date.now();
  const counted = countingFetch();
  const exchange = createPhantomToken(base({ fetch: counted.fetch, clock: () => now, cacheTtl: 100_000 }));
  const token = await opaque();
  const { payload } = decodeJwt(await exchange.exchange(request(token)));
  now = (payload.exp as number) * 1000 + 1000;
  // The entry is ignored past exp; the AS (and the guard, on real clocks) still accept the token,
  // so the exchange works again, with a new introspection call.
  await exchange.exchange(request(token));
  t.is(counted.calls(), 2);
});

const answering = (status: number, body: string, contentType: string): typeof fetch =>
  async () => new Response(status === 204 ? null : body, { status, headers: { 'content-type': contentType } });

for (const [title, status, body, type, code, expected] of [
  ['a 5xx', 500, 'oops', 'text/plain', 'ERR_INTROSPECTION_UNAVAILABLE', 503],
  ['JSON instead of a JWT', 200, '{"active":true}', 'application/json', 'ERR_GATEWAY_PHANTOM_RESPONSE_INVALID', 503],
  ['a JWT of the wrong media type', 200, 'a.b.c', 'text/plain', 'ERR_GATEWAY_PHANTOM_RESPONSE_INVALID', 503],
  ['our credentials rejected', 401, '{"error":"invalid_client"}', 'application/json', 'ERR_INTROSPECTION_CLIENT_REJECTED', 500],
  ['204 No Content (inactive)', 204, '', 'text/plain', 'ERR_INTROSPECTION_INACTIVE', 401],
  ['{"active": false}', 200, '{"active":false}', 'application/json', 'ERR_INTROSPECTION_INACTIVE', 401],
] as const) {
  test(`the authorization server answering ${title} → ${expected} ${code}`, async (t) => {
    const errors: string[] = [];
    const exchange = createPhantomToken(base({ fetch: answering(status, body, type), logger: { warn: () => undefined, error: (line) => errors.push(line) } }));
    const error = await t.throwsAsync(exchange.exchange(request('opaque-token')));
    t.is((error as { code?: string }).code, code);
    t.is((error as { status?: number }).status, expected);
    // Nothing logged here: the rejection is logged once where it is rendered, its detail naming what to check.
    t.deepEqual(errors, []);
    if (expected === 500) t.regex((error as { detail?: string }).detail ?? '', /check "introspection\.clientId", "introspection\.clientAuth"/);
  });
}

test('a JWT answer that fails verification (another audience) is not forwarded', async (t) => {
  const exchange = createPhantomToken(base({ verify: { issuer: dev.server.issuer, audience: 'urn:other' } }));
  const error = await t.throwsAsync(exchange.exchange(request(await opaque())));
  t.is((error as { code?: string }).code, 'ERR_TOKEN_AUDIENCE_INVALID');
});

test('RFC 9701: the signed introspection answer of the dev AS is verified and forwarded; revoked → inactive', async (t) => {
  const exchange = createPhantomToken(base({
    accept: 'application/token-introspection+jwt',
    verify: { issuer: dev.server.issuer, jwksUri: dev.as.jwks_uri! },
  }));
  const token = await opaque();
  const { header, payload } = decodeJwt(await exchange.exchange(request(token)));
  t.is(header.typ, 'token-introspection+jwt');
  t.is((payload.token_introspection as { active?: unknown }).active, true);
  t.is(payload.aud, dev.server.clients.resourceServer.clientId);

  const revoked = await opaque();
  await revoke(dev, dev.server.clients.demo, revoked);
  const error = await t.throwsAsync(exchange.exchange(request(revoked)));
  t.is((error as { code?: string }).code, 'ERR_INTROSPECTION_INACTIVE');
});

test('RFC 9701: an answer from another issuer than the configured one is 503, with the guard\'s code', async (t) => {
  const exchange = createPhantomToken(base({
    accept: 'application/token-introspection+jwt',
    verify: { issuer: 'urn:other-issuer', jwksUri: dev.as.jwks_uri! },
  }));
  const error = await t.throwsAsync(exchange.exchange(request(await opaque())));
  t.is((error as { code?: string }).code, 'ERR_INTROSPECTION_JWT_ISSUER_INVALID');
  t.is((error as { status?: number }).status, 503);
});

test('createPhantomToken() validates its options', (t) => {
  const ok = base();
  const bad = (overrides: Record<string, unknown>, name: RegExp) =>
    t.throws(() => createPhantomToken({ ...ok, ...overrides } as PhantomTokenOptions), { instanceOf: TypeError, message: name });
  t.throws(() => createPhantomToken(undefined as never), { instanceOf: TypeError, message: /phantomToken/ });
  bad({ introspection: undefined }, /phantomToken\.introspection/);
  bad({ introspection: { ...ok.introspection, endpoint: 'not a url' } }, /phantomToken\.introspection\.endpoint/);
  bad({ introspection: { ...ok.introspection, clientId: '' } }, /phantomToken\.introspection\.clientId/);
  bad({ introspection: { ...ok.introspection, clientSecret: 1 } }, /phantomToken\.introspection\.clientSecret/);
  bad({ introspection: { ...ok.introspection, extra: 1 } }, /phantomToken\.introspection\.extra/);
  bad({ accept: 'application/json' }, /phantomToken\.accept/);
  bad({ verify: 'guard' }, /phantomToken\.verify/);
  bad({ accept: 'application/token-introspection+jwt', verify: { issuer: dev.server.issuer } }, /phantomToken\.verify\.jwksUri/);
  bad({ cacheTtl: -1 }, /phantomToken\.cacheTtl/);
  bad({ inactiveCacheTtl: 'x' }, /phantomToken\.inactiveCacheTtl/);
  bad({ store: { get: 1 } }, /phantomToken\.store/);
  bad({ timeout: 0 }, /phantomToken\.timeout/);
  bad({ realm: '' }, /phantomToken\.realm/);
  bad({ maxTokenLength: 0 }, /phantomToken\.maxTokenLength/);
  bad({ fetch: 'x' }, /phantomToken\.fetch/);
  bad({ clock: 1 }, /phantomToken\.clock/);
  bad({ typo: 1 }, /phantomToken\.typo/);
});

test('a token longer than maxTokenLength is 401 ERR_TOKEN_TOO_LONG (the guard\'s rule) before any introspection call', async (t) => {
  const counted = countingFetch();
  const exchange = createPhantomToken(base({ fetch: counted.fetch, maxTokenLength: 8 }));
  const error = await t.throwsAsync(exchange.exchange(request('123456789')));
  t.is((error as { status?: number }).status, 401);
  t.is((error as { code?: string }).code, 'ERR_TOKEN_TOO_LONG');
  t.is(counted.calls(), 0);
});

test('a failing store costs caching, not the exchange: every request introspects', async (t) => {
  const counted = countingFetch();
  const failing = { get: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')), add: () => true };
  const exchange = createPhantomToken(base({ fetch: counted.fetch, store: failing }));
  const token = await opaque();
  await exchange.exchange(request(token));
  await exchange.exchange(request(token));
  t.is(counted.calls(), 2);
});
