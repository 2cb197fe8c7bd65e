/**
 * The representative subset of the fetch adapter's cases that every runtime runs: JWTs of three
 * algorithms, DPoP with a replayed proof, an opaque token through introspection, the RFC 9728
 * metadata route, and one request per rejection class. The driver (Node) sends each request to
 * the runtime's server and compares status, the `WWW-Authenticate` error and the guard's code.
 */
import { getDevToken } from '@resource-guard-tools/dev-authorization-server';

/** `error="..."` of the first challenge, or `undefined` (RFC 6750 §3). */
function challengeError(header) {
  return header === null ? undefined : /\berror="([^"]*)"/.exec(header)?.[1];
}

/** What a case expects, as the matrix prints it: `200`, or `401 invalid_token ERR_TOKEN_EXPIRED`. */
export function describeExpected({ status, error, code }) {
  return [status, error, code].filter((part) => part !== undefined).join(' ');
}

/**
 * The cases for a server at `base` whose resource is `resource`, with tokens from the dev AS
 * `dev` and the local issuer `local`. Each case: `{ flow, expected, send() }`, in order (the
 * replay follows the DPoP request it replays).
 */
export async function createCases({ base, resource, dev, local }) {
  const orders = `${base}/api/orders`;
  const devToken = (options) => getDevToken({ issuer: dev.issuer, ...options });
  const jwt = await devToken({ kind: 'jwt', scope: 'orders:read' });
  const opaque = await devToken({ kind: 'opaque', scope: 'orders:read' });
  const dpop = await devToken({ kind: 'dpop', scope: 'orders:read', url: orders });
  const rs256 = await local.sign('RS256', resource);
  const forged = `${rs256.slice(0, rs256.lastIndexOf('.') + 1)}${'A'.repeat(342)}`;
  const get = (url, headers = {}) => () => fetch(url, { headers });
  const bearer = (token) => ({ authorization: `Bearer ${token}` });
  const dpopHeaders = { authorization: `DPoP ${dpop.accessToken}`, dpop: dpop.proof };
  return [
    { flow: 'JWT ES256 (dev AS)', expected: { status: 200, scheme: 'Bearer' }, send: get(orders, bearer(jwt.accessToken)) },
    { flow: 'JWT RS256', expected: { status: 200 }, send: get(`${base}/api/local`, bearer(rs256)) },
    { flow: 'JWT EdDSA (Ed25519)', expected: { status: 200 }, send: get(`${base}/api/local`, bearer(await local.sign('EdDSA', resource))) },
    { flow: 'DPoP-bound token with its proof', expected: { status: 200, scheme: 'DPoP' }, send: get(orders, dpopHeaders) },
    { flow: 'DPoP proof replayed', expected: { status: 401, error: 'invalid_dpop_proof', code: 'ERR_DPOP_JTI_REPLAYED' }, send: get(orders, dpopHeaders) },
    { flow: 'opaque token via introspection', expected: { status: 200, format: 'opaque' }, send: get(orders, bearer(opaque.accessToken)) },
    { flow: 'protected-resource metadata', expected: { status: 200, resource }, send: get(`${base}/.well-known/oauth-protected-resource/api`) },
    { flow: 'no token', expected: { status: 401, code: 'ERR_CREDENTIALS_MISSING' }, send: get(orders) },
    { flow: 'bad signature', expected: { status: 401, error: 'invalid_token', code: 'ERR_JWS_SIGNATURE_INVALID' }, send: get(`${base}/api/local`, bearer(forged)) },
    {
      flow: 'expired token', expected: { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_EXPIRED' },
      send: get(`${base}/api/local`, bearer(await local.sign('ES256', resource, { iat: Math.floor(Date.now() / 1000) - 3600, exp: Math.floor(Date.now() / 1000) - 1800 }))),
    },
    { flow: 'insufficient scope', expected: { status: 403, error: 'insufficient_scope', code: 'ERR_SCOPE_INSUFFICIENT' }, send: get(`${base}/api/admin`, bearer(jwt.accessToken)) },
    { flow: 'malformed Authorization header', expected: { status: 400, error: 'invalid_request', code: 'ERR_REQUEST_MALFORMED_CREDENTIALS' }, send: get(orders, { authorization: 'Bearer to%ken' }) },
  ];
}

/**
 * Sends one case and judges it: `{ verdict: 'pass'|'fail', code?, note? }`. A pass needs the
 * status, the challenge's `error` (none when none is expected), the code, and the body's scheme,
 * format or resource where the case names one.
 */
export async function judgeCase(testCase) {
  let response;
  try {
    response = await testCase.send();
  } catch (error) {
    return { verdict: 'fail', note: `request failed: ${error.message}` };
  }
  const { expected } = testCase;
  const code = response.headers.get('x-guard-code') ?? undefined;
  const error = challengeError(response.headers.get('www-authenticate'));
  const body = await response.text();
  const problems = [];
  if (response.status !== expected.status) problems.push(`status ${response.status}`);
  if (error !== expected.error) problems.push(`WWW-Authenticate error ${error ?? 'none'}`);
  if (code !== expected.code) problems.push(`code ${code ?? 'none'}`);
  if (expected.status === 401 && !/^(Bearer|DPoP)\b/.test(response.headers.get('www-authenticate') ?? '')) problems.push('no challenge');
  if (expected.status === 200) {
    let json;
    try {
      json = JSON.parse(body);
    } catch {
      json = {};
    }
    for (const member of ['scheme', 'format', 'resource']) {
      if (expected[member] !== undefined && json[member] !== expected[member]) problems.push(`${member} ${json[member]}`);
    }
  }
  return problems.length === 0 ? { verdict: 'pass', code } : { verdict: 'fail', code, note: `got ${problems.join(', ')}` };
}
