/**
 * @resource-guard/mcp, request by request without a server: the request metadata headers'
 * malformed shapes, bodies that are not JSON-RPC messages, the fetch entry point's `readBody`, the
 * SDK verifier's error mapping, misuse; and scope hierarchies with equivalent scopes.
 */
import test, { type ExecutionContext } from 'ava';
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';
import {
  createGuard, requireAnyScope, requireAuthorizationDetails, requireScopes, type AuthContext, type GuardError,
} from '@resource-guard/core';
import { mcpAuth as expressMcpAuth, requireToolScopes } from '@resource-guard/mcp';
import { mcpAuth as fetchMcpAuth } from '@resource-guard/mcp/fetch';
import { mcpAuth as fastifyMcpAuth } from '@resource-guard/mcp/fastify';
import { startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

const RESOURCE = 'https://mcp.example.test/mcp';
let issuer: MockIssuer;
test.before(async () => {
  issuer = await startMockIssuer();
});
test.after.always(() => issuer?.close());

const call = (name: string, id: unknown = 1) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name } });

/** The fetch entry point in process: status and, for JSON-RPC errors, the code. */
async function fetchCall(headers: Record<string, string>, body: string | undefined, readBody: boolean, scope = 'orders:read'): Promise<{ status: number; code?: number }> {
  const auth = fetchMcpAuth({ issuer: issuer.issuer, resource: RESOURCE, httpTimeout: 30_000 });
  let handled = 0;
  const handle = auth.protect(() => {
    handled += 1;
    return new Response('{}', { status: 200 });
  }, { toolScopes: { cancel_order: 'orders:write' }, readBody });
  const token = await issuer.sign({ aud: RESOURCE, scope });
  const response = await handle(new Request(RESOURCE, {
    method: 'POST', body, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
  }));
  const text = await response.text();
  if (response.status !== 200) {
    if (handled !== 0) throw new Error('the handler ran on a rejection');
    return { status: response.status, code: (JSON.parse(text) as { error?: { code?: number } }).error?.code };
  }
  return { status: 200 };
}

test('fetch: malformed Mcp-Method/Mcp-Name and Base64 forms → 400 -32020', async (t) => {
  const name = (value: string) => fetchCall({ 'mcp-method': 'tools/call', 'mcp-name': value }, undefined, false);
  t.deepEqual(await name('=?base64?@@@?='), { status: 400, code: -32020 }, 'not Base64');
  t.deepEqual(await name('=?base64?abc?='), { status: 400, code: -32020 }, 'Base64 of a bad length');
  t.deepEqual(await name(`=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`), { status: 400, code: -32020 }, 'not UTF-8');
  t.deepEqual(await name(`=?base64?${Buffer.from('cancel_order').toString('base64')}?=`), { status: 403, code: undefined }, 'decoded, then judged');
  t.deepEqual(await name('list_orders'), { status: 200 });
  t.deepEqual(await fetchCall({ 'mcp-name': 'cancel_order' }, undefined, false), { status: 400, code: -32020 }, 'Mcp-Name without Mcp-Method');
  t.deepEqual(await fetchCall({ 'mcp-method': 'tools call' }, undefined, false), { status: 400, code: -32020 }, 'a method that is no token');
  t.deepEqual(await fetchCall({ 'mcp-method': 'resources/read' }, undefined, false), { status: 400, code: -32020 }, 'resources/read without Mcp-Name');
  t.deepEqual(await fetchCall({ 'mcp-method': 'tools/list' }, undefined, false), { status: 200 }, 'a method without a name');
});

test('fetch readBody: empty, broken, non-message and batch bodies; the body decides and must match the headers', async (t) => {
  t.deepEqual(await fetchCall({}, undefined, true), { status: 200 }, 'no body: nothing to authorize');
  t.deepEqual(await fetchCall({}, '{"jsonrpc":', true), { status: 400, code: -32700 });
  t.deepEqual(await fetchCall({}, '[]', true), { status: 400, code: -32600 });
  t.deepEqual(await fetchCall({}, '"text"', true), { status: 400, code: -32600 });
  t.deepEqual(await fetchCall({ 'mcp-method': 'tools/call', 'mcp-name': 'list_orders' }, JSON.stringify([call('list_orders')]), true), { status: 400, code: -32020 }, 'headers on a batch');
  t.deepEqual(await fetchCall({}, JSON.stringify(call('cancel_order')), true), { status: 403, code: undefined });
  t.deepEqual(await fetchCall({}, JSON.stringify(call('cancel_order')), true, 'orders:write'), { status: 200 });
  t.deepEqual(await fetchCall({ 'mcp-method': 'tools/call', 'mcp-name': 'cancel_order' }, JSON.stringify(call('cancel_order', { not: 'an id' })), true, 'orders:read'), { status: 403, code: undefined });
  t.deepEqual(await fetchCall({}, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 42 } }), true), { status: 200 }, 'no tool name: no tool runs');
});

/** The Express middleware with a stand-in request and response, to send what `fetch` cannot (repeated fields, padded values). */
function runExpress(t: ExecutionContext, headers: Record<string, string | string[]>, body: unknown): { status: number; code?: number; nextError?: unknown } {
  const middleware = requireToolScopes({ cancel_order: 'orders:write' });
  const answer: { status: number; code?: number; nextError?: unknown } = { status: 0 };
  const res = {
    status(code: number) {
      answer.status = code;
      return res;
    },
    set: () => res,
    end(text: string) {
      answer.code = (JSON.parse(text) as { error: { code: number } }).error.code;
    },
  };
  middleware({ headers, body } as unknown as ExpressRequest, res as unknown as ExpressResponse, (error?: unknown) => {
    answer.nextError = error;
  });
  t.pass();
  return answer;
}

test('express: repeated or padded headers and an unread body are 400s; without protect() before it a 500 naming the misuse', (t) => {
  t.deepEqual(runExpress(t, { 'mcp-method': ['tools/call', 'tools/call'], 'mcp-name': 'x' }, undefined), { status: 400, code: -32020 });
  t.deepEqual(runExpress(t, { 'mcp-method': 'tools/call', 'mcp-name': ' x' }, undefined), { status: 400, code: -32020 });
  t.deepEqual(runExpress(t, { 'content-length': '5', 'content-type': 'text/plain' }, undefined), { status: 400, code: -32700 });
  t.deepEqual(runExpress(t, { 'transfer-encoding': 'chunked', 'content-type': 'application/json' }, undefined), { status: 400, code: -32020 });
  const misuse = runExpress(t, { 'mcp-method': 'tools/list' }, undefined);
  t.is((misuse.nextError as GuardError).code, 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER');
});

test('the SDK verifier: an unreachable authorization server is a ServerError, not an invalid token', async (t) => {
  const auth = expressMcpAuth({ issuer: 'http://127.0.0.1:1', resource: RESOURCE, httpTimeout: 1000 });
  const token = await issuer.sign({ aud: RESOURCE, iss: 'http://127.0.0.1:1' });
  const error = await t.throwsAsync(auth.verifier.verifyAccessToken(token));
  t.is(error?.constructor.name, 'ServerError');
  t.false(error?.message.includes(token));
});

test('the SDK verifier: AuthInfo.extra carries the token\'s authorization_details (RFC 9396), deep-frozen', async (t) => {
  const auth = expressMcpAuth({ issuer: issuer.issuer, resource: RESOURCE });
  const details = [{ type: 'tool_invocation', actions: ['call'], locations: [RESOURCE] }];
  const info = await auth.verifier.verifyAccessToken(await issuer.sign({ aud: RESOURCE, authorization_details: details }));
  t.deepEqual(info.extra?.authorizationDetails, details);
  t.true(Object.isFrozen(info.extra?.authorizationDetails));
});

test('an MCP guard judges requireAuthorizationDetails(): 403 naming the type, with resource_metadata', async (t) => {
  const auth = fetchMcpAuth({ issuer: issuer.issuer, resource: RESOURCE, httpTimeout: 30_000 });
  const request = async (details: unknown) => auth.guard.verify({
    method: 'POST', url: RESOURCE, headers: { authorization: `Bearer ${await issuer.sign({ aud: RESOURCE, authorization_details: details })}` },
  });
  const requirement = requireAuthorizationDetails({ type: 'tool_invocation', actions: ['call'] });
  const granted = await request([{ type: 'tool_invocation', actions: ['call'] }]);
  t.notThrows(() => auth.guard.authorize(granted, requirement));
  const refused = await request([{ type: 'tool_invocation', actions: ['list'] }]);
  const forbidden = t.throws(() => auth.guard.authorize(refused, requirement)) as GuardError;
  t.like(forbidden, { status: 403, code: 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT' });
  const challenge = forbidden.headers['WWW-Authenticate'] ?? '';
  t.regex(challenge, /authorization_details_types="tool_invocation"/);
  t.regex(challenge, /resource_metadata="https:\/\/mcp\.example\.test\/\.well-known\/oauth-protected-resource\/mcp"/);
});

test('fastify: authInfo() where protect() set no context is a 500 naming the misuse', (t) => {
  const auth = fastifyMcpAuth({ issuer: issuer.issuer, resource: RESOURCE });
  t.throws(() => auth.authInfo({ auth: null } as never), { code: 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER' } as never);
});

test('scope hierarchy with equivalent scopes: the first listed is kept in a challenge; alternatives narrowed', (t) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: RESOURCE, scopeHierarchy: { a: 'b', b: ['a'], c: ['a'], d: 'x' } });
  const auth = { scopes: ['z'] } as unknown as AuthContext;
  const scopeOf = (requirement: ReturnType<typeof requireScopes>) => {
    try {
      guard.authorize(auth, requirement);
      return 'passed';
    } catch (error) {
      return (error as GuardError).challengeParams.scope;
    }
  };
  t.is(scopeOf(requireScopes('b', 'a')), 'b');
  t.is(scopeOf(requireScopes('a', 'c', 'd')), 'c d', 'c implies a');
  t.is(scopeOf(requireAnyScope('c', 'a', 'b')), 'a', 'c implies a; of the equivalent a and b the first');
  t.is(scopeOf(requireScopes('x')), 'x');
  t.is(scopeOf(requireScopes('q')), 'q', 'a scope outside the hierarchy');
  t.is(guard.authorize({ scopes: ['c'] } as unknown as AuthContext, requireScopes('b')), undefined, 'transitive: c → a → b');
});

test('fetch: requireToolScopes() alone, after a verification of the application\'s own', async (t) => {
  const auth = fetchMcpAuth({ issuer: issuer.issuer, resource: RESOURCE });
  const check = auth.requireToolScopes({ cancel_order: 'orders:write' });
  const token = await issuer.sign({ aud: RESOURCE, scope: 'orders:read' });
  const context = await auth.guard.verify({ method: 'POST', url: RESOURCE, headers: { authorization: `Bearer ${token}` } });
  const request = (name: string) => new Request(RESOURCE, { method: 'POST', headers: { 'mcp-method': 'tools/call', 'mcp-name': name } });
  t.is(await check(request('list_orders'), context), undefined);
  const refused = await check(request('cancel_order'), context);
  t.is(refused?.status, 403);
  t.regex(refused?.headers.get('www-authenticate') ?? '', /scope="orders:write"/);
});
