/**
 * The token-exchange client against a token endpoint we control (a loopback server answering what
 * each test says, for the answers the dev AS does not give: 5xx, garbage, odd token types), and
 * a mock issuer for the caller's tokens. Option checks, per-call checks, response checks, the
 * cache's storage (sealed, tampered, failing stores), on both backends. What signs with a private
 * key (private_key_jwt, DPoP proofs) is in client.node.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import test from 'ava';
import { createMemoryStore, isGuardError, type Guard, type Store } from '@resource-guard/core';
import { createErrorResponder } from '@resource-guard/core/adapter';
import { createTokenExchange, type TokenExchangeOptions } from '@resource-guard/core/exchange';
import { json, okHandler, useExchangeSuite, type Handler } from '../helpers/token-endpoint.js';

const { issuer, endpoint, base, guardOf, callerOf, target } = useExchangeSuite(test);

/** A Store that is not the memory store (as Redis is): a Map, with switches to fail. */
function sharedStore(): Store & { data: Map<string, unknown>; failGet: boolean; failSet: boolean } {
  const data = new Map<string, unknown>();
  const store = {
    data, failGet: false, failSet: false,
    get: (key: string) => {
      if (store.failGet) throw new Error('down');
      return Promise.resolve(data.get(key));
    },
    set: (key: string, value: unknown) => {
      if (store.failSet) return Promise.reject(new Error('down'));
      data.set(key, JSON.parse(JSON.stringify(value)));
      return Promise.resolve();
    },
    add: (key: string, value: unknown) => {
      if (data.has(key)) return false;
      data.set(key, value);
      return true;
    },
    delete: (key: string) => {
      data.delete(key);
    },
  };
  return store;
}

test.serial('options: every bad value is a TypeError naming the option', (t) => {
  const guard = guardOf();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bad: Array<[unknown, RegExp]> = [
    [undefined, /needs options/],
    [{ ...base(), typo: 1 }, /unknown option "tokenExchange.typo"/],
    [{ clientSecret: 's' }, /"tokenExchange.clientId"/],
    [{ ...base(), clientAuth: 'bearer' }, /"tokenExchange.clientAuth" must be one of client_secret_basic, client_secret_post, private_key_jwt/],
    [{ ...base(), clientAuth: 'private_key_jwt' }, /"tokenExchange.clientSecret" is only used with/],
    [{ clientId: 'api', clientAuth: 'private_key_jwt' }, /"tokenExchange.privateKeyJwt" \(\{ key, alg \}\) is required/],
    [{ ...base(), store: {} }, /"tokenExchange.store" must be a Store/],
    [{ ...base(), store: sharedStore() }, /"tokenExchange.encryptionKey" \(32 bytes\) is required/],
    [{ ...base(), store: sharedStore(), encryptionKey: 'short' }, /"tokenExchange.encryptionKey" must be 32 bytes/],
    [{ ...base(), encryptionKey: new Uint8Array(16) }, /"tokenExchange.encryptionKey" must be 32 bytes/],
    [{ ...base(), encryptionKey: '!'.repeat(43) }, /"tokenExchange.encryptionKey" must be 32 bytes/],
    [{ ...base(), fetch: 'fetch' }, /"tokenExchange.fetch" must be a function/],
    [{ ...base(), tokenEndpoint: 'http://as.example.com/token' }, /"tokenExchange.tokenEndpoint" must use https/],
    [{ ...base(), expirySkew: -1 }, /"tokenExchange.expirySkew"/],
    [{ ...base(), timeout: 0 }, /"tokenExchange.timeout"/],
    [{ ...base(), dpop: { key: privateKey, alg: 'ES256', kid: 'x' } }, /unknown option "tokenExchange.dpop.kid"/],
  ];
  for (const [options, message] of bad) t.throws(() => createTokenExchange(guard, options as TokenExchangeOptions), { instanceOf: TypeError, message }, String(message));
  t.throws(() => createTokenExchange({} as Guard, base()), { instanceOf: TypeError, message: /a guard made by createGuard/ });
  t.notThrows(() => createTokenExchange(guard, { ...base(), store: sharedStore(), encryptionKey: Buffer.alloc(32, 1).toString('base64') }));
});

test.serial('per call: bad targets, scopes and token types are TypeErrors, before any request', async (t) => {
  const guard = guardOf();
  const exchange = createTokenExchange(guard, base());
  const auth = await callerOf(guard);
  const calls = endpoint.calls.length;
  const bad: unknown[] = [
    null, {}, { audience: '' }, { audience: [1] }, { resource: 'relative/path' }, { resource: 'https://x.test/#frag' }, { resource: 'https://x.test/#' },
    { ...target, scope: '' }, { ...target, scope: ['a"b'] }, { ...target, requestedTokenType: '' }, { ...target, actorTokenType: 'x' },
  ];
  for (const options of bad) await t.throwsAsync(exchange.exchangeToken(auth, options as never), { instanceOf: TypeError }, JSON.stringify(options));
  t.is(endpoint.calls.length, calls);
});

test.serial('the request: grant, subject token and type, repeated audience and resource, scope, requested type, actor token; client_secret_basic', async (t) => {
  endpoint.handler = okHandler();
  const guard = guardOf();
  const auth = await callerOf(guard);
  await createTokenExchange(guard, base()).exchangeToken(auth, {
    audience: ['https://b.test', 'https://a.test'], resource: 'https://r.test/api', scope: 'x y', requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
    actorToken: 'actor', actorTokenType: 'urn:ietf:params:oauth:token-type:jwt',
  });
  const { headers, body } = endpoint.calls.at(-1)!;
  t.is(body.get('grant_type'), 'urn:ietf:params:oauth:grant-type:token-exchange');
  t.is(body.get('subject_token'), auth.token);
  t.is(body.get('subject_token_type'), 'urn:ietf:params:oauth:token-type:access_token');
  t.deepEqual(body.getAll('audience'), ['https://a.test', 'https://b.test']);
  t.deepEqual(body.getAll('resource'), ['https://r.test/api']);
  t.is(body.get('scope'), 'x y');
  t.is(body.get('requested_token_type'), 'urn:ietf:params:oauth:token-type:access_token');
  t.is(body.get('actor_token'), 'actor');
  t.is(body.get('actor_token_type'), 'urn:ietf:params:oauth:token-type:jwt');
  t.is(headers.authorization, `Basic ${Buffer.from('api:secret').toString('base64')}`);
  t.is(body.get('client_secret'), null);
});

test.serial('answers: 5xx, a 400 without an error, non-JSON → 503 ERR_EXCHANGE_UNAVAILABLE; unusable token responses → 503 ERR_EXCHANGE_RESPONSE_INVALID; 401/403 → 502; never cached', async (t) => {
  const guard = guardOf();
  const exchange = createTokenExchange(guard, base());
  const auth = await callerOf(guard);
  const answers: Array<[Handler, string, number]> = [
    [(_q, _b, r) => json(r, 500, { error: 'server_error' }), 'ERR_EXCHANGE_UNAVAILABLE', 503],
    [(_q, _b, r) => json(r, 400, '<html>'), 'ERR_EXCHANGE_UNAVAILABLE', 503],
    [(_q, _b, r) => json(r, 400, { error: 'bad"value' }), 'ERR_EXCHANGE_UNAVAILABLE', 503],
    [(_q, _b, r) => json(r, 200, 'not json'), 'ERR_EXCHANGE_UNAVAILABLE', 503],
    [okHandler({ access_token: undefined }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [okHandler({ access_token: 'a b' }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [okHandler({ issued_token_type: undefined }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [okHandler({ token_type: '' }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [okHandler({ expires_in: -5 }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [okHandler({ expires_in: '300' }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [okHandler({ scope: 1 }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [okHandler({ token_type: 'DPoP' }), 'ERR_EXCHANGE_RESPONSE_INVALID', 503],
    [(_q, _b, r) => json(r, 401, { error: 'invalid_client' }), 'ERR_EXCHANGE_CLIENT_REJECTED', 502],
    [(_q, _b, r) => json(r, 403, ''), 'ERR_EXCHANGE_CLIENT_REJECTED', 502],
    [(_q, _b, r) => json(r, 400, { error: 'unsupported_grant_type' }), 'ERR_EXCHANGE_CLIENT_REJECTED', 502],
    [(_q, _b, r) => json(r, 400, { error: 'access_denied' }), 'ERR_EXCHANGE_REFUSED', 403],
  ];
  for (const [handler, code, status] of answers) {
    endpoint.handler = handler;
    const calls = endpoint.calls.length;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await t.throwsAsync(exchange.exchangeToken(auth, target));
      t.true(isGuardError(error));
      t.like(error, { code, status }, code);
      t.false(String((error as { detail?: string }).detail).includes(auth.token));
    }
    t.is(endpoint.calls.length - calls, 2, `${code}: not cached`);
  }
});

test.serial('a redirect from the token endpoint is not followed (the POST carries the subject token): 503 naming the Location and "tokenExchange.tokenEndpoint"', async (t) => {
  const guard = guardOf();
  const exchange = createTokenExchange(guard, base());
  const auth = await callerOf(guard);
  endpoint.handler = (_q, _b, r) => r.writeHead(307, { location: '/token/' }).end();
  const calls = endpoint.calls.length;
  const error = await t.throwsAsync(exchange.exchangeToken(auth, target));
  t.like(error, { code: 'ERR_EXCHANGE_UNAVAILABLE', status: 503 });
  t.regex(String((error as { detail?: string }).detail), /answered HTTP 307 to "http:\/\/127\.0\.0\.1:\d+\/token\/".*set "tokenExchange\.tokenEndpoint"/);
  t.is(endpoint.calls.length - calls, 1);
  endpoint.handler = okHandler();
});

test.serial('token types: bearer in any case is Bearer; N_A is returned by exchangeToken but never sent by downstreamFetch; without expires_in, used once', async (t) => {
  const guard = guardOf();
  const exchange = createTokenExchange(guard, base());
  const auth = await callerOf(guard);
  endpoint.handler = okHandler({ token_type: 'bearer' });
  t.is((await exchange.exchangeToken(auth, { audience: 'https://lower.test' })).tokenType, 'Bearer');
  endpoint.handler = okHandler({ token_type: 'N_A', issued_token_type: 'urn:ietf:params:oauth:token-type:id_token' });
  t.is((await exchange.exchangeToken(auth, { audience: 'https://na.test' })).tokenType, 'N_A');
  await t.throwsAsync(exchange.downstreamFetch(auth, 'http://127.0.0.1:9/', undefined, { audience: 'https://na.test' }), { instanceOf: TypeError, message: /cannot send a token of type "N_A"/ });
  endpoint.handler = okHandler({ expires_in: undefined });
  const calls = endpoint.calls.length;
  const first = await exchange.exchangeToken(auth, { audience: 'https://unknown-life.test' });
  t.is(first.expiresAt, undefined);
  await exchange.exchangeToken(auth, { audience: 'https://unknown-life.test' });
  t.is(endpoint.calls.length - calls, 2);
});

test.serial('the issuer\'s token_endpoint is discovered; metadata without one is 500 ERR_EXCHANGE_ENDPOINT_UNKNOWN, logged', async (t) => {
  endpoint.handler = okHandler();
  const logged: string[] = [];
  const { tokenEndpoint: _, ...discovered } = base();
  issuer.metadata.token_endpoint = endpoint.url;
  try {
    const guard = guardOf({ logger: { warn() {}, error: (line: string) => logged.push(line) } });
    const auth = await callerOf(guard);
    const calls = endpoint.calls.length;
    await createTokenExchange(guard, discovered).exchangeToken(auth, target);
    t.is(endpoint.calls.length - calls, 1);
  } finally {
    delete issuer.metadata.token_endpoint;
  }
  const fresh = guardOf({ logger: { warn() {}, error: (line: string) => logged.push(line) } });
  const error = await t.throwsAsync(createTokenExchange(fresh, discovered).exchangeToken(await callerOf(fresh), target));
  t.like(error, { code: 'ERR_EXCHANGE_ENDPOINT_UNKNOWN', status: 500 });
  t.is(logged.length, 1);
});

test.serial('a shared store holds sealed entries bound to their key: another key, a moved or tampered entry is a miss', async (t) => {
  endpoint.handler = okHandler();
  const store = sharedStore();
  const key = Buffer.alloc(32, 7);
  const guard = guardOf();
  const exchange = createTokenExchange(guard, { ...base(), store, encryptionKey: key });
  const auth = await callerOf(guard);
  const first = await exchange.exchangeToken(auth, target);
  const entries = [...store.data].filter(([name]) => name.startsWith('exchange:'));
  t.is(entries.length, 1);
  const [name, value] = entries[0]!;
  t.false(JSON.stringify(value).includes(first.accessToken));
  t.false(JSON.stringify(value).includes(auth.token));
  t.false(name.includes(auth.token));
  const calls = endpoint.calls.length;
  t.is((await exchange.exchangeToken(auth, target)).accessToken, first.accessToken, 'a hit opens');
  t.is(endpoint.calls.length, calls);

  const otherKey = createTokenExchange(guard, { ...base(), store, encryptionKey: Buffer.alloc(32, 8) });
  t.not((await otherKey.exchangeToken(auth, target)).accessToken, first.accessToken, 'another key cannot open it');
  store.data.set(name, value);
  const other = await exchange.exchangeToken(auth, { audience: 'https://other.test' });
  const otherName = [...store.data.keys()].find((entry) => entry.startsWith('exchange:') && entry !== name)!;
  store.data.set(otherName, value);
  t.not((await exchange.exchangeToken(auth, { audience: 'https://other.test' })).accessToken, first.accessToken, 'an entry moved under another key does not open');
  t.not(other.accessToken, first.accessToken);
  const sealed = (value as { sealed: string }).sealed;
  store.data.set(name, { sealed: `${sealed.slice(0, -4)}AAAA` });
  t.not((await exchange.exchangeToken(auth, target)).accessToken, first.accessToken, 'a tampered entry is a miss');
  for (const garbage of [{ sealed: 1 }, 'x', { sealed: Buffer.from(JSON.stringify({})).toString('base64url') }]) {
    store.data.set(name, garbage);
    await exchange.exchangeToken(auth, target);
  }
  t.pass();
});

test.serial('a failing store: the exchange still works, uncached, logged once per outage; a store without delete takes no lease', async (t) => {
  endpoint.handler = okHandler();
  const warned: string[] = [];
  const guard = guardOf({ logger: { warn: (line: string) => warned.push(line), error() {} } });
  const auth = await callerOf(guard);
  const store = sharedStore();
  const exchange = createTokenExchange(guard, { ...base(), store, encryptionKey: Buffer.alloc(32) });
  store.failGet = true;
  store.failSet = true;
  const calls = endpoint.calls.length;
  await exchange.exchangeToken(auth, target);
  await exchange.exchangeToken(auth, target);
  t.is(endpoint.calls.length - calls, 2);
  t.is(warned.length, 1);
  store.failGet = false;
  store.failSet = false;
  await exchange.exchangeToken(auth, target);
  await exchange.exchangeToken(auth, target);
  t.is(endpoint.calls.length - calls, 3, 'cached again once the store is back');

  const { delete: _, ...noDelete } = sharedStore();
  const plain = createTokenExchange(guard, { ...base(), store: noDelete as Store, encryptionKey: Buffer.alloc(32) });
  await plain.exchangeToken(auth, target);
  t.false([...(noDelete as unknown as { data: Map<string, unknown> }).data.keys()].some((name) => name.startsWith('exchange-lease:')));
  // A downstream 401 asks the store to forget: without `delete`, nothing to do; a failing `delete` is logged.
  endpoint.handler = (_request, _body, response) => json(response, 401, '');
  t.is((await plain.downstreamFetch(auth, endpoint.url, undefined, target)).status, 401);
  const failing = sharedStore();
  failing.delete = () => {
    throw new Error('down');
  };
  const before = warned.length;
  endpoint.handler = okHandler();
  const forgetting = createTokenExchange(guard, { ...base(), store: failing, encryptionKey: Buffer.alloc(32) });
  await forgetting.exchangeToken(auth, target);
  endpoint.handler = (_request, _body, response) => json(response, 401, '');
  t.is((await forgetting.downstreamFetch(auth, endpoint.url, undefined, target)).status, 401);
  t.is(warned.length - before, 1);
});

test.serial('the memory store: a hit is the same token; entries past reuse are not served even if the store still has them', async (t) => {
  endpoint.handler = okHandler({ expires_in: 120 });
  let now = Date.now();
  const store = createMemoryStore({ clock: () => 0 });
  const guard = guardOf({ clock: () => now, store });
  const exchange = createTokenExchange(guard, { ...base(), expirySkew: 60 });
  const auth = await callerOf(guard);
  const first = await exchange.exchangeToken(auth, target);
  t.is((await exchange.exchangeToken(auth, target)).accessToken, first.accessToken);
  now += 61_000;
  t.not((await exchange.exchangeToken(auth, target)).accessToken, first.accessToken);
});

test.serial('the token endpoint is called with the guard\'s fetch; the `fetch` option is for downstream calls only', async (t) => {
  endpoint.handler = okHandler();
  const downstream: string[] = [];
  const upstream: string[] = [];
  const guard = guardOf({ fetch: ((input: URL, init?: RequestInit) => {
    upstream.push(String(input));
    return fetch(input, init);
  }) as typeof fetch });
  const exchange = createTokenExchange(guard, { ...base(), fetch: ((input: URL) => {
    downstream.push(String(input));
    return Promise.resolve(new Response('ok'));
  }) as typeof fetch });
  const auth = await callerOf(guard);
  t.is((await exchange.downstreamFetch(auth, 'https://inventory.test/stock', undefined, target)).status, 200);
  t.true(upstream.includes(endpoint.url));
  t.deepEqual(downstream, ['https://inventory.test/stock']);
});

test.serial('errorHandler() renders refusals without a challenge: 403 access_denied, 502 Bad Gateway with a generic description', async (t) => {
  const render = createErrorResponder({ format: 'problem', logger: { error() {} } });
  const guard = guardOf();
  const exchange = createTokenExchange(guard, base());
  const auth = await callerOf(guard);
  endpoint.handler = (_request, _body, response) => json(response, 400, { error: 'invalid_target', error_description: `secret ${auth.token}` });
  const refused = render(await exchange.exchangeToken(auth, target).catch((error: unknown) => error))!;
  t.is(refused.status, 403);
  t.is(refused.headers['WWW-Authenticate'], undefined);
  t.like(JSON.parse(refused.body), { error: 'access_denied', title: 'Forbidden' });
  endpoint.handler = (_request, _body, response) => json(response, 401, { error: 'invalid_client' });
  const rejected = render(await exchange.exchangeToken(auth, target).catch((error: unknown) => error))!;
  t.is(rejected.status, 502);
  // A 5xx has no challenge, so the one body has no OAuth error member (RFC 6750 §3.1; the same on every adapter).
  t.like(JSON.parse(rejected.body), { title: 'Bad Gateway', error_description: 'A service this request needs refused this server' });
  t.false('error' in JSON.parse(rejected.body));
  for (const body of [refused.body, rejected.body]) t.false(body.includes(auth.token));
});

test.serial('a subject token that expires before the exchanged one bounds the reuse: until its exp − skew', async (t) => {
  endpoint.handler = okHandler({ expires_in: 3600 });
  let now = Date.now();
  const guard = guardOf({ clock: () => now });
  const exchange = createTokenExchange(guard, { ...base(), expirySkew: 60 });
  const auth = await callerOf(guard, { exp: Math.floor(now / 1000) + 120 });
  const calls = endpoint.calls.length;
  const first = await exchange.exchangeToken(auth, { audience: 'https://bounded.test' });
  t.true(first.expiresAt! > auth.expiresAt!, 'the exchanged token outlives the subject token');
  now = (auth.expiresAt! - 61) * 1000;
  t.is((await exchange.exchangeToken(auth, { audience: 'https://bounded.test' })).accessToken, first.accessToken);
  now = (auth.expiresAt! - 59) * 1000;
  t.not((await exchange.exchangeToken(auth, { audience: 'https://bounded.test' })).accessToken, first.accessToken);
  t.is(endpoint.calls.length - calls, 2);
});
