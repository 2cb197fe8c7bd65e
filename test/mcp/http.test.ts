/**
 * @resource-guard/mcp over HTTP on EVERY adapter (Express, Koa, Fastify, fetch/Hono), through the
 * example server (the SDK's real transport behind each entry point): per-tool scopes from the
 * `Mcp-Method`/`Mcp-Name` headers without a body parser, header/body mismatch → 400 -32020, no or
 * non-JSON body never a 500, 401 with `scope` and `resource_metadata`, 403 naming every scope the
 * request needs, scope hierarchies, `Origin` refusal, 405 for GET, DPoP-bound tokens (SEP-1932).
 */
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import { FRAMEWORKS, startMcpServer, type Framework, type McpServerOptions, type RunningMcpServer } from '@resource-guard-examples/mcp-server';
import { findChallenge } from '../helpers/challenge.js';
import { ath, clientKey, nowSeconds, type ClientKey } from '../helpers/dpop.js';
import { send, type RawResponse } from '../helpers/http.js';
import { startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

type Mode = 'headers' | 'body' | 'exact' | 'dpop';
const MODES: Record<Mode, Partial<McpServerOptions>> = {
  headers: { parseBody: false }, // no body parser: the request metadata headers decide
  body: { parseBody: true },
  exact: { parseBody: true, auth: { scopeHierarchy: undefined } }, // no hierarchy: every scope named
  dpop: { parseBody: false, auth: { dpop: { required: true } } },
};

let issuer: MockIssuer;
const servers = new Map<string, RunningMcpServer>();
const server = (framework: Framework, mode: Mode) => servers.get(`${framework}/${mode}`)!;

test.before(async () => {
  issuer = await startMockIssuer();
  for (const framework of FRAMEWORKS) {
    for (const mode of Object.keys(MODES) as Mode[]) {
      // A generous discovery timeout: a loaded machine must not turn a case into a 503.
      const { auth, ...settings } = MODES[mode];
      servers.set(`${framework}/${mode}`, await startMcpServer({ issuer: issuer.issuer, framework, ...settings, auth: { httpTimeout: 30_000, ...auth } }));
    }
  }
});

test.after.always(async () => {
  await Promise.all([...servers.values()].map((running) => running.close()));
  await issuer?.close();
});

const tokenFor = (target: RunningMcpServer, scope: string, extra: Record<string, unknown> = {}) => issuer.sign({ aud: target.url, scope, ...extra });
const call = (name: string, id = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { id: 'o-1' } } });

interface PostOptions {
  token?: string;
  scheme?: string;
  body?: unknown;
  /** A raw body (sent as is) instead of JSON. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  method?: string;
}

function post(target: RunningMcpServer, options: PostOptions = {}): Promise<RawResponse> {
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return send(target.url, {
    method: options.method ?? 'POST',
    headers: {
      accept: 'application/json, text/event-stream',
      ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `${options.scheme ?? 'Bearer'} ${options.token}` }),
      ...options.headers,
    },
    body,
  });
}

/** The `Mcp-Method`/`Mcp-Name` headers of a tools/call (MCP 2026-07-28). */
const toolHeaders = (name: string) => ({ 'mcp-method': 'tools/call', 'mcp-name': name });

function challenge(response: RawResponse, scheme = 'Bearer') {
  return findChallenge(response.headers['www-authenticate'] as string | undefined, scheme);
}

function jsonRpcError(t: ExecutionContext, response: RawResponse, code: number): void {
  t.regex(String(response.headers['content-type']), /^application\/json/);
  const body = JSON.parse(response.body) as { jsonrpc?: string; error?: { code?: number } };
  t.is(body.jsonrpc, '2.0');
  t.is(body.error?.code, code);
}

for (const framework of FRAMEWORKS) {
  test(`[${framework}] headers only (no body parser): Mcp-Method/Mcp-Name decide the tool's scopes`, async (t) => {
    const target = server(framework, 'headers');
    const reader = await tokenFor(target, 'orders:read');
    const allowed = await post(target, { token: reader, body: call('list_orders'), headers: toolHeaders('list_orders') });
    t.is(allowed.status, 200, allowed.body);
    const refused = await post(target, { token: reader, body: call('cancel_order'), headers: toolHeaders('cancel_order') });
    t.is(refused.status, 403);
    t.is(challenge(refused)?.params.error, 'insufficient_scope');
    t.is(challenge(refused)?.params.scope, 'orders:write');
    t.is(challenge(refused)?.params.resource_metadata, target.metadataUrl);
    t.regex(String(refused.headers['content-type']), /^application\/json/, 'errorHandler renders JSON, not HTML');
    // The Base64 sentinel form of Mcp-Name is decoded before it is looked up.
    const encoded = await post(target, { token: reader, body: call('cancel_order'), headers: { 'mcp-method': 'tools/call', 'mcp-name': `=?base64?${btoa('cancel_order')}?=` } });
    t.is(encoded.status, 403);
    // tools/call without Mcp-Name: a required header is missing → 400 -32020.
    const unnamed = await post(target, { token: reader, body: call('cancel_order'), headers: { 'mcp-method': 'tools/call' } });
    t.is(unnamed.status, 400);
    jsonRpcError(t, unnamed, -32020);
  });

  test(`[${framework}] body parsed: a header/body mismatch → 400 JSON-RPC -32020; matching headers pass`, async (t) => {
    const target = server(framework, 'body');
    const writer = await tokenFor(target, 'orders:write');
    const mismatch = await post(target, { token: writer, body: call('cancel_order', 7), headers: toolHeaders('list_orders') });
    t.is(mismatch.status, 400);
    jsonRpcError(t, mismatch, -32020);
    t.is((JSON.parse(mismatch.body) as { id?: unknown }).id, 7, 'the error answers the request id');
    const method = await post(target, { token: writer, body: call('cancel_order'), headers: { 'mcp-method': 'tools/list' } });
    t.is(method.status, 400);
    jsonRpcError(t, method, -32020);
    // A cheap tool in the headers cannot smuggle an expensive one in the body past the scopes.
    const reader = await tokenFor(target, 'orders:read');
    const smuggled = await post(target, { token: reader, body: call('cancel_order'), headers: toolHeaders('list_orders') });
    t.is(smuggled.status, 400);
    const matching = await post(target, { token: writer, body: call('cancel_order'), headers: toolHeaders('cancel_order') });
    t.is(matching.status, 200, matching.body);
    // Without headers (clients of earlier revisions) the body decides.
    t.is((await post(target, { token: reader, body: call('cancel_order') })).status, 403);
  });

  test(`[${framework}] a valid token with no body or a non-JSON body is a 4xx, never a 500`, async (t) => {
    for (const mode of ['headers', 'body'] as const) {
      const target = server(framework, mode);
      const token = await tokenFor(target, 'orders:read');
      const empty = await post(target, { token });
      t.true(empty.status >= 400 && empty.status < 500, `${mode}, no body: ${empty.status}`);
      const text = await post(target, { token, raw: 'cancel everything', contentType: 'text/plain' });
      t.true(text.status >= 400 && text.status < 500, `${mode}, text body: ${text.status}`);
      const broken = await post(target, { token, raw: '{"jsonrpc":', contentType: 'application/json' });
      t.true(broken.status >= 400 && broken.status < 500, `${mode}, broken JSON: ${broken.status}`);
      const scalar = await post(target, { token, body: 42 });
      t.true(scalar.status >= 400 && scalar.status < 500, `${mode}, a JSON number: ${scalar.status}`);
    }
  });

  test(`[${framework}] 401 carries scope and resource_metadata; the metadata lists no offline_access`, async (t) => {
    const target = server(framework, 'headers');
    const response = await post(target, { body: call('list_orders'), headers: toolHeaders('list_orders') });
    t.is(response.status, 401);
    t.is(challenge(response)?.params.error, undefined);
    t.is(challenge(response)?.params.scope, 'orders:read');
    t.is(challenge(response)?.params.resource_metadata, target.metadataUrl);
    const expired = await post(target, { token: await tokenFor(target, 'orders:read', { exp: nowSeconds() - 600 }), body: call('list_orders') });
    t.is(expired.status, 401);
    t.is(challenge(expired)?.params.error, 'invalid_token');
    t.is(challenge(expired)?.params.scope, 'orders:read');
    const metadata = JSON.parse((await send(target.metadataUrl)).body) as { scopes_supported?: string[]; resource?: string };
    t.is(metadata.resource, target.url);
    t.false(metadata.scopes_supported?.includes('offline_access'));
  });

  test(`[${framework}] 403 names every scope the request needs in one challenge (a batch of two tools)`, async (t) => {
    const target = server(framework, 'exact');
    const token = await tokenFor(target, 'profile');
    const response = await post(target, { token, body: [call('list_orders', 1), call('cancel_order', 2)] });
    t.is(response.status, 403);
    t.is(challenge(response)?.params.scope, 'orders:read orders:write');
    t.is(challenge(response)?.params.resource_metadata, target.metadataUrl);
  });

  test(`[${framework}] scope hierarchy: orders:write implies orders:read, admin everything; the 403 names the narrowest set`, async (t) => {
    const target = server(framework, 'body');
    const writer = await tokenFor(target, 'orders:write');
    t.is((await post(target, { token: writer, body: call('list_orders'), headers: toolHeaders('list_orders') })).status, 200);
    const admin = await tokenFor(target, 'admin');
    t.is((await post(target, { token: admin, body: call('cancel_order'), headers: toolHeaders('cancel_order') })).status, 200);
    const batch = await post(target, { token: await tokenFor(target, 'profile'), body: [call('list_orders', 1), call('cancel_order', 2)] });
    t.is(batch.status, 403);
    t.is(challenge(batch)?.params.scope, 'orders:write', 'orders:write alone covers both tools');
  });

  test(`[${framework}] a foreign Origin → 403 JSON-RPC error (DNS rebinding); the server's own Origin and none pass`, async (t) => {
    const target = server(framework, 'headers');
    const token = await tokenFor(target, 'orders:read');
    for (const origin of ['http://evil.example', 'null', `${new URL(target.url).origin}.evil.example`]) {
      const refused = await post(target, { token, body: call('list_orders'), headers: { ...toolHeaders('list_orders'), origin } });
      t.is(refused.status, 403, origin);
      jsonRpcError(t, refused, -32000);
      t.is(refused.headers['www-authenticate'], undefined, 'no token would change the answer');
    }
    const unauthenticated = await post(target, { body: call('list_orders'), headers: { origin: 'http://evil.example' } });
    t.is(unauthenticated.status, 403, 'checked before the token');
    const own = await post(target, { token, body: call('list_orders'), headers: { ...toolHeaders('list_orders'), origin: new URL(target.url).origin } });
    t.is(own.status, 200);
  });

  test(`[${framework}] GET and DELETE on the endpoint → 405 with Allow: POST`, async (t) => {
    const target = server(framework, 'headers');
    for (const method of ['GET', 'DELETE']) {
      const response = await post(target, { method, token: await tokenFor(target, 'orders:read') });
      t.is(response.status, 405, method);
      t.is(response.headers.allow, 'POST');
    }
    t.is((await post(target, { method: 'GET', headers: { origin: 'http://evil.example' } })).status, 403);
  });

  test(`[${framework}] DPoP (SEP-1932): metadata says required, a DPoP-bound token passes, Bearer does not, iat within ±5 min`, async (t) => {
    const target = server(framework, 'dpop');
    const metadata = JSON.parse((await send(target.metadataUrl)).body) as Record<string, unknown>;
    t.is(metadata.dpop_bound_access_tokens_required, true);
    t.true(Array.isArray(metadata.dpop_signing_alg_values_supported) && (metadata.dpop_signing_alg_values_supported as string[]).includes('ES256'));
    const key = await clientKey();
    const token = await tokenFor(target, 'orders:read', { cnf: { jkt: key.jkt } });
    const proof = (iat = nowSeconds()) => signProofAt(key, token, target.url, iat);
    const ok = await post(target, { token, scheme: 'DPoP', body: call('list_orders'), headers: { ...toolHeaders('list_orders'), dpop: await proof() } });
    t.is(ok.status, 200, ok.body);
    const refused = await post(target, { token, scheme: 'DPoP', body: call('cancel_order'), headers: { ...toolHeaders('cancel_order'), dpop: await proof() } });
    t.is(refused.status, 403);
    t.is(challenge(refused, 'DPoP')?.params.scope, 'orders:write');
    const bearer = await post(target, { token, body: call('list_orders'), headers: toolHeaders('list_orders') });
    t.is(bearer.status, 401);
    for (const offset of [-290, 290]) {
      const skewed = await post(target, { token, scheme: 'DPoP', body: call('list_orders'), headers: { ...toolHeaders('list_orders'), dpop: await proof(nowSeconds() + offset) } });
      t.is(skewed.status, 200, `iat ${offset} s`);
    }
    for (const offset of [-303, 303]) {
      const outside = await post(target, { token, scheme: 'DPoP', body: call('list_orders'), headers: { ...toolHeaders('list_orders'), dpop: await proof(nowSeconds() + offset) } });
      t.is(outside.status, 401, `iat ${offset} s`);
      t.is(challenge(outside, 'DPoP')?.params.error, 'invalid_dpop_proof');
    }
  });
}

async function signProofAt(key: ClientKey, token: string, htu: string, iat: number): Promise<string> {
  const claims = { htm: 'POST', htu, iat, jti: randomUUID(), ath: ath(token) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk })
    .sign(key.privateKey);
}
