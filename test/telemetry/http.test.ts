/**
 * OpenTelemetry over HTTP, on every adapter: the SDK's in-memory metric exporter and span
 * exporter behind a guard, and for a success, each rejection class (400, 401 invalid_token, 401
 * DPoP, 403, 500, 503) and each kind of authorization-server failure, the documented metric and
 * span with exactly the documented attributes (docs/observability.md). Every case also checks that
 * no token, claim value or client secret appears in any attribute, span name or status.
 */
import test, { type ExecutionContext } from 'ava';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import { TELEMETRY_METRICS as M, type GuardOptions, type Store } from '@resource-guard/core';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import { clientKey, signProof } from '../helpers/dpop.js';
import { CLIENT_ID, CLIENT_SECRET, activeBody, useScriptedEndpoint, type Answer } from '../helpers/introspection.js';
import type { MockIssuer } from '../helpers/issuer.js';
import { captureTelemetry, countOf, pointsOf, type MetricPoint, type TelemetryCapture } from '../helpers/telemetry.js';

// The SDK's context manager, as `NodeSDK.start()` registers it: upstream spans become children
// of the authentication span through it.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const endpoint = useScriptedEndpoint(test);
const { script } = endpoint;

const captures = new WeakMap<MockIssuer, TelemetryCapture>();
// Claim values of the tokens the cases send (the handlers echo them in responses, so they are
// not among the per-case secrets that the response must not contain).
const SECRETS_ALWAYS = [CLIENT_SECRET, 'user-123', 'client-abc', 'alice'];

/** Guard options with a capture of its own (cases run concurrently), plus `extra`. */
const observed = (extra: (issuer: MockIssuer) => Partial<GuardOptions> = () => ({})) => (issuer: MockIssuer): Partial<GuardOptions> => {
  const capture = captureTelemetry();
  captures.set(issuer, capture);
  return { telemetry: { meterProvider: capture.meterProvider, tracerProvider: capture.tracerProvider }, ...extra(issuer) };
};

const introspection = (extra: Partial<NonNullable<GuardOptions['introspection']>> = {}) => observed(() => ({
  introspection: { endpoint: endpoint.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra },
}));

let counter = 0;
function opaque(c: CaseContext, answer: Answer): string {
  counter += 1;
  const token = `opaque-${c.app.framework}-${counter}-${Math.random().toString(36).slice(2)}`;
  script.set(token, answer);
  return token;
}

/** Sends a fresh opaque token that the endpoint answers with `answer`. */
async function sendOpaque(c: CaseContext, answer: Answer) {
  const token = opaque(c, answer);
  return { response: await c.bearer(token), secrets: [token] };
}

/** A DPoP-bound token sent `times` times, each with a proof of its own unless `sameProof`. */
async function sendDpop(c: CaseContext, times = 1, sameProof = false) {
  const key = await clientKey();
  const token = await c.issuer.sign({ cnf: { jkt: key.jkt } });
  const url = `${c.app.url}/protected`;
  const first = await signProof(key, token, url);
  let response;
  for (let i = 0; i < times; i += 1) {
    const proof = sameProof || i === 0 ? first : await signProof(key, token, url);
    response = await c.send('/protected', { headers: [['authorization', `DPoP ${token}`], ['dpop', proof]] });
  }
  return { response: response!, secrets: [token, first] };
}

const OPAQUE_BEARER: Attributes = { 'resource_guard.authentication.scheme': 'Bearer', 'resource_guard.token.format': 'opaque' };
const DPOP_JWT: Attributes = { 'resource_guard.authentication.scheme': 'DPoP', 'resource_guard.token.format': 'jwt' };

/** What one case expects to have been recorded. */
interface Recorded {
  /** The authentication's attributes (metric point and span), exactly; the last authentication is checked. */
  authentication: Attributes;
  /** Other points that must exist, with these attributes (a subset), and how many at least. */
  points?: Array<{ name: string; attributes: Attributes; count?: number }>;
  /** Spans of authorization-server calls that must be children of an authentication span. */
  upstreamSpans?: Array<{ name: string; attributes: Attributes; error?: string }>;
}

/** The assertions shared by every case: the documented attributes, and nothing secret anywhere. */
async function assertRecorded(t: ExecutionContext, c: CaseContext, expected: Recorded, secrets: string[]): Promise<void> {
  const capture = captures.get(c.issuer)!;
  const points = await capture.metrics();
  const spans = capture.spans();
  const authentications = pointsOf(points, M.authenticate);
  t.true(authentications.some((point) => sameAttributes(point.attributes, expected.authentication)),
    `an authentication point with ${JSON.stringify(expected.authentication)}; got ${JSON.stringify(authentications.map((p) => p.attributes))}`);
  t.true(authentications.every((point) => point.unit === 's'), 'durations in seconds');
  const span = spans.filter((item) => item.name === 'resource-guard authenticate').find((item) => sameAttributes(item.attributes, expected.authentication));
  t.truthy(span, 'an authentication span with the same attributes');
  const errorType = expected.authentication['error.type'];
  if (expected.authentication['resource_guard.authentication.result'] === 'failure') {
    t.deepEqual(span?.status, { code: 2, message: errorType }, 'status ERROR carrying the code, not the message');
  } else {
    t.is(span?.status.code, 0, 'status unset');
  }
  for (const item of expected.points ?? []) {
    t.true(countOf(points, item.name, item.attributes) >= (item.count ?? 1), `${item.name} ${JSON.stringify(item.attributes)} ×${item.count ?? 1}`);
  }
  for (const item of expected.upstreamSpans ?? []) {
    const child = spans.find((candidate) => candidate.name === item.name && matches(candidate.attributes, item.attributes));
    t.truthy(child, `span ${item.name} ${JSON.stringify(item.attributes)}`);
    const parent = spans.find((candidate) => candidate.spanContext().spanId === child?.parentSpanContext?.spanId);
    t.is(parent?.name, 'resource-guard authenticate', 'a child of the authentication span');
    if (item.error === undefined) t.is(child?.status.code, 0);
    else t.deepEqual(child?.status, { code: 2, message: item.error });
  }
  assertNothingSecret(t, points, spans, [...secrets, ...SECRETS_ALWAYS]);
  await capture.shutdown();
}

function sameAttributes(actual: Attributes, expected: Attributes): boolean {
  return Object.keys(actual).length === Object.keys(expected).length && matches(actual, expected);
}

function matches(actual: Attributes, expected: Attributes): boolean {
  return Object.entries(expected).every(([key, value]) => actual[key] === value);
}

/** No secret in any metric attribute, span name, span attribute, status or event. */
export function assertNothingSecret(t: ExecutionContext, points: readonly MetricPoint[], spans: readonly ReadableSpan[], secrets: readonly string[]): void {
  const recorded = JSON.stringify([points, spans.map((span) => [span.name, span.attributes, span.status, span.events])]);
  for (const secret of secrets) t.false(recorded.includes(secret), 'no token, claim value or secret in telemetry');
}

const bearerJwt = (c: CaseContext, overrides: Record<string, unknown> = {}, path = '/protected') => c.issuer.sign(overrides).then(async (token) => ({
  response: await c.bearer(token, path), secrets: [token],
}));

const success = (c: CaseContext): Attributes => ({
  'resource_guard.authentication.result': 'success', 'resource_guard.authentication.scheme': 'Bearer',
  'resource_guard.token.format': 'jwt', 'resource_guard.issuer': c.issuer.issuer,
});
const failure = (code: string, extra: Attributes = { 'resource_guard.authentication.scheme': 'Bearer', 'resource_guard.token.format': 'jwt' }): Attributes => ({
  'resource_guard.authentication.result': 'failure', 'error.type': code, ...extra,
});
const upstream = (operation: string, outcome: string, statusClass?: string): Attributes => ({
  'resource_guard.upstream.operation': operation, 'resource_guard.upstream.outcome': outcome, 'server.address': '127.0.0.1',
  'resource_guard.upstream.status_class': statusClass,
});

/** A store whose every call fails, as a Redis that is down. */
const downStore = (): Store => {
  const fail = () => Promise.reject(new Error('connection refused'));
  return { get: fail, set: fail, add: fail, delete: fail };
};

type Row = Omit<HttpCase, 'check'> & { recorded: (c: CaseContext) => Recorded };

const rows: Row[] = [
  {
    title: 'success: a JWT after discovery and JWKS → success attributes, two upstream child spans',
    options: observed(),
    run: (c) => bearerJwt(c),
    expect: { status: 200 },
    recorded: (c) => ({
      authentication: success(c),
      points: [{ name: M.upstream, attributes: upstream('discovery', 'success', '2xx') }, { name: M.upstream, attributes: upstream('jwks', 'success', '2xx') }],
      upstreamSpans: [
        { name: 'resource-guard discovery', attributes: { ...upstream('discovery', 'success', '2xx'), 'http.response.status_code': 200 } },
        { name: 'resource-guard jwks', attributes: upstream('jwks', 'success', '2xx') },
      ],
    }),
  },
  {
    title: 'no credentials → result none with ERR_CREDENTIALS_MISSING',
    options: observed(),
    run: async (c) => ({ response: await c.send('/protected') }),
    expect: { status: 401, error: null },
    recorded: () => ({ authentication: { 'resource_guard.authentication.result': 'none', 'error.type': 'ERR_CREDENTIALS_MISSING' } }),
  },
  {
    title: 'optional route without credentials → result none, no error.type',
    options: observed(),
    run: async (c) => ({ response: await c.send('/optional') }),
    expect: { status: 200 },
    recorded: () => ({ authentication: { 'resource_guard.authentication.result': 'none' } }),
  },
  {
    title: '400: two Authorization methods → failure with the request code, no format',
    options: observed(() => ({ tokenLocations: ['header', 'query'] })),
    run: async (c) => {
      const token = await c.issuer.sign();
      return { response: await c.send(`/protected?access_token=${token}`, { headers: [['authorization', `Bearer ${token}`]] }), secrets: [token] };
    },
    expect: { status: 400, error: 'invalid_request', code: 'ERR_REQUEST_MULTIPLE_METHODS' },
    recorded: () => ({ authentication: failure('ERR_REQUEST_MULTIPLE_METHODS', {}) }),
  },
  {
    title: '401: an expired JWT → failure ERR_TOKEN_EXPIRED, no issuer attribute',
    options: observed(),
    run: (c) => bearerJwt(c, { exp: Math.floor(Date.now() / 1000) - 600 }),
    expect: { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_EXPIRED' },
    recorded: () => ({ authentication: failure('ERR_TOKEN_EXPIRED') }),
  },
  {
    title: '401: a JWT from an untrusted issuer → its iss appears nowhere',
    options: observed(),
    run: async (c) => {
      const token = await c.issuer.sign({ iss: 'https://attacker.example/random-7f3a' });
      return { response: await c.bearer(token), secrets: [token, 'attacker.example'] };
    },
    expect: { status: 401, error: 'invalid_token', code: 'ERR_JWT_ISSUER_UNTRUSTED' },
    recorded: () => ({ authentication: failure('ERR_JWT_ISSUER_UNTRUSTED') }),
  },
  {
    title: '401: unknown kids → one refetch, then refused by the cooldown',
    options: observed((issuer) => ({ jwksUri: issuer.jwksUri })),
    run: async (c) => {
      await c.bearer(await c.issuer.sign());
      const stranger = c.issuer.createKey('ES256', 'kid-unknown-1');
      const first = await c.issuer.sign({}, { key: stranger });
      await c.bearer(first);
      const second = await c.issuer.sign({}, { key: stranger, header: { kid: 'kid-unknown-2' } });
      return { response: await c.bearer(second), secrets: [first, second, 'kid-unknown'] };
    },
    expect: { status: 401, error: 'invalid_token', code: 'ERR_JWKS_NO_MATCHING_KEY', handlerCalls: 1 },
    recorded: () => ({
      authentication: failure('ERR_JWKS_NO_MATCHING_KEY'),
      points: [
        { name: M.jwksRefetch, attributes: { 'resource_guard.jwks.refetch.result': 'fetched' } },
        { name: M.jwksRefetch, attributes: { 'resource_guard.jwks.refetch.result': 'cooldown' } },
      ],
    }),
  },
  {
    title: '403: a missing scope → authentication success, authorization failure of kind scopes',
    options: observed(),
    run: (c) => bearerJwt(c, { scope: 'orders:read' }, '/scopes/all'),
    expect: { status: 403, error: 'insufficient_scope', code: 'ERR_SCOPE_INSUFFICIENT' },
    recorded: (c) => ({
      authentication: success(c),
      points: [{ name: M.authorize, attributes: { 'resource_guard.authorization.result': 'failure', 'resource_guard.requirement.kind': 'scopes', 'error.type': 'ERR_SCOPE_INSUFFICIENT' } }],
    }),
  },
  {
    title: '200 through requireAnyScope → authorization success of kind any_scope',
    options: observed(),
    run: (c) => bearerJwt(c, { scope: 'admin' }, '/scopes/any'),
    expect: { status: 200 },
    recorded: (c) => ({
      authentication: success(c),
      points: [{ name: M.authorize, attributes: { 'resource_guard.authorization.result': 'success', 'resource_guard.requirement.kind': 'any_scope', 'error.type': undefined } }],
    }),
  },
  {
    title: 'verified-token cache: a miss, then a hit',
    options: observed(() => ({ verifiedTokenCache: true })),
    run: async (c) => {
      const token = await c.issuer.sign();
      await c.bearer(token);
      return { response: await c.bearer(token), secrets: [token] };
    },
    expect: { status: 200, handlerCalls: 2 },
    recorded: (c) => ({
      authentication: success(c),
      points: [
        { name: M.cache, attributes: { 'resource_guard.cache.name': 'verified_token', 'resource_guard.cache.result': 'miss' } },
        { name: M.cache, attributes: { 'resource_guard.cache.name': 'verified_token', 'resource_guard.cache.result': 'hit' } },
      ],
    }),
  },
  {
    title: 'DPoP: a bound token with its proof → scheme DPoP',
    options: observed(),
    run: (c) => sendDpop(c),
    expect: { status: 200 },
    recorded: (c) => ({ authentication: { ...success(c), 'resource_guard.authentication.scheme': 'DPoP' } }),
  },
  {
    title: '401 DPoP: a replayed proof → dpop rejection replay',
    options: observed(),
    run: (c) => sendDpop(c, 2, true),
    expect: { status: 401, code: 'ERR_DPOP_JTI_REPLAYED', handlerCalls: 1 },
    recorded: () => ({
      authentication: failure('ERR_DPOP_JTI_REPLAYED', DPOP_JWT),
      points: [{ name: M.dpopRejection, attributes: { 'resource_guard.dpop.rejection.reason': 'replay' } }],
    }),
  },
  {
    title: '401 DPoP: nonce required → dpop rejection use_nonce',
    options: observed(() => ({ dpop: { nonce: true } })),
    run: (c) => sendDpop(c),
    expect: { status: 401, code: 'ERR_DPOP_NONCE_REQUIRED', error: null },
    recorded: () => ({
      authentication: failure('ERR_DPOP_NONCE_REQUIRED', DPOP_JWT),
      points: [{ name: M.dpopRejection, attributes: { 'resource_guard.dpop.rejection.reason': 'use_nonce' } }],
    }),
  },
  {
    title: '503 DPoP: over the per-key quota → dpop rejection quota_exceeded',
    options: observed(() => ({ dpop: { maxProofsPerKey: 1 } })),
    run: (c) => sendDpop(c, 2),
    expect: { status: 503, code: 'ERR_DPOP_REPLAY_QUOTA_EXCEEDED', handlerCalls: 1 },
    recorded: () => ({
      authentication: failure('ERR_DPOP_REPLAY_QUOTA_EXCEEDED', DPOP_JWT),
      points: [{ name: M.dpopRejection, attributes: { 'resource_guard.dpop.rejection.reason': 'quota_exceeded' } }],
    }),
  },
  {
    title: '503 DPoP: the replay store is down → store error of the dpop_replay add',
    options: observed(() => ({ store: downStore() })),
    run: (c) => sendDpop(c),
    expect: { status: 503, code: 'ERR_DPOP_REPLAY_STORE_UNAVAILABLE' },
    recorded: () => ({
      authentication: failure('ERR_DPOP_REPLAY_STORE_UNAVAILABLE', DPOP_JWT),
      points: [{ name: M.storeError, attributes: { 'resource_guard.store.purpose': 'dpop_replay', 'resource_guard.store.operation': 'add' } }],
    }),
  },
  {
    title: '503: discovery answers 500 → upstream http_error 5xx, child span in error',
    options: observed(),
    run: async (c) => {
      c.issuer.mode = 'error500';
      return bearerJwt(c);
    },
    expect: { status: 503, code: 'ERR_DISCOVERY_UNAVAILABLE' },
    recorded: () => ({
      authentication: failure('ERR_DISCOVERY_UNAVAILABLE'),
      points: [{ name: M.upstream, attributes: upstream('discovery', 'http_error', '5xx') }],
      upstreamSpans: [{ name: 'resource-guard discovery', attributes: { 'http.response.status_code': 500 }, error: 'http_error' }],
    }),
  },
  {
    title: '503: the JWKS host refuses connections → upstream network_error, no status class',
    options: observed((issuer) => ({ jwksUri: issuer.jwksUri })),
    run: async (c) => {
      c.issuer.mode = 'refuse';
      return bearerJwt(c);
    },
    expect: { status: 503, code: 'ERR_JWKS_UNAVAILABLE' },
    recorded: () => ({
      authentication: failure('ERR_JWKS_UNAVAILABLE'),
      points: [{ name: M.upstream, attributes: upstream('jwks', 'network_error') }],
      upstreamSpans: [{ name: 'resource-guard jwks', attributes: upstream('jwks', 'network_error'), error: 'network_error' }],
    }),
  },
  {
    title: '503: the JWKS answers too late → upstream timeout',
    options: observed((issuer) => ({ jwksUri: issuer.jwksUri, httpTimeout: 200 })),
    run: async (c) => {
      c.issuer.mode = 'slow';
      return bearerJwt(c);
    },
    expect: { status: 503, code: 'ERR_JWKS_UNAVAILABLE' },
    recorded: () => ({
      authentication: failure('ERR_JWKS_UNAVAILABLE'),
      points: [{ name: M.upstream, attributes: upstream('jwks', 'timeout') }],
    }),
  },
  {
    title: 'introspection: a miss then a hit → format opaque, one upstream call',
    options: introspection(),
    run: async (c) => {
      const token = opaque(c, { body: activeBody() });
      await c.bearer(token);
      return { response: await c.bearer(token), secrets: [token] };
    },
    expect: { status: 200, handlerCalls: 2 },
    recorded: (c) => ({
      authentication: { ...success(c), 'resource_guard.token.format': 'opaque' },
      points: [
        { name: M.cache, attributes: { 'resource_guard.cache.name': 'introspection', 'resource_guard.cache.result': 'miss' } },
        { name: M.cache, attributes: { 'resource_guard.cache.name': 'introspection', 'resource_guard.cache.result': 'hit' } },
        { name: M.upstream, attributes: { ...upstream('introspection', 'success', '2xx'), 'http.request.method': 'POST' } },
      ],
      upstreamSpans: [{ name: 'resource-guard introspection', attributes: upstream('introspection', 'success', '2xx') }],
    }),
  },
  {
    title: '503: introspection answers 500 → upstream http_error 5xx',
    options: introspection(),
    run: (c) => sendOpaque(c, { status: 500, body: '' }),
    expect: { status: 503, code: 'ERR_INTROSPECTION_UNAVAILABLE' },
    recorded: () => ({
      authentication: failure('ERR_INTROSPECTION_UNAVAILABLE', OPAQUE_BEARER),
      points: [{ name: M.upstream, attributes: upstream('introspection', 'http_error', '5xx') }],
    }),
  },
  {
    title: '500: introspection rejects our credentials → upstream http_error 4xx, failure ERR_INTROSPECTION_CLIENT_REJECTED',
    options: introspection(),
    run: (c) => sendOpaque(c, { status: 401, body: { error: 'invalid_client' } }),
    expect: { status: 500, code: 'ERR_INTROSPECTION_CLIENT_REJECTED' },
    recorded: () => ({
      authentication: failure('ERR_INTROSPECTION_CLIENT_REJECTED', OPAQUE_BEARER),
      points: [{ name: M.upstream, attributes: upstream('introspection', 'http_error', '4xx') }],
    }),
  },
  {
    title: 'introspection with the store down → store errors get and set, the request still served',
    options: introspection(),
    run: (c) => sendOpaque(c, { body: activeBody() }),
    expect: { status: 200 },
    recorded: (c) => ({
      authentication: { ...success(c), 'resource_guard.token.format': 'opaque' },
      points: [
        { name: M.storeError, attributes: { 'resource_guard.store.purpose': 'introspection_cache', 'resource_guard.store.operation': 'get' } },
        { name: M.storeError, attributes: { 'resource_guard.store.purpose': 'introspection_cache', 'resource_guard.store.operation': 'set' } },
      ],
    }),
  },
];
// The last row needs the store that is down on top of the introspection options.
const storeRow = rows.at(-1)!;
const withIntrospection = storeRow.options!;
storeRow.options = (issuer) => ({ ...withIntrospection(issuer), store: { ...downStore(), delete: undefined } });

const table: HttpCase[] = rows.map(({ recorded, ...row }) => ({
  ...row,
  async run(c) {
    const outcome = await row.run(c);
    c.notes.secrets = outcome.secrets ?? [];
    return outcome;
  },
  check: (t, c) => assertRecorded(t, c, recorded(c), c.notes.secrets as string[]),
}));

runCaseTable(test, table);

test('every instrument is exercised by the table', (t) => {
  const names = new Set<string>(Object.values(M));
  const exercised = new Set(rows.flatMap((row) => [M.authenticate, ...(row.recorded({ issuer: { issuer: '' } } as CaseContext).points ?? []).map((point) => point.name)]));
  t.deepEqual([...names].filter((name) => !exercised.has(name)), []);
});
