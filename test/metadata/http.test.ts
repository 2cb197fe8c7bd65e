/**
 * RFC 9728 protected resource metadata over HTTP, on BOTH adapters: the document derived from the
 * guard's settings, its endpoint (paths, methods, caching, CORS) and `resource_metadata` in every
 * challenge.
 */
import test, { type ExecutionContext } from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify } from 'jose';
import { CRYPTO_BACKEND, DEFAULT_DPOP_ALGORITHMS } from '@resource-guard/core';
import { runCaseTable, type CaseContext, type HttpCase } from '../helpers/cases.js';
import { FRAMEWORKS, startApp } from '../helpers/apps.js';
import { findChallenge, parseChallenges } from '../helpers/challenge.js';
import { send, type RawResponse } from '../helpers/http.js';
import { AUDIENCE, startMockIssuer } from '../helpers/issuer.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';
const METADATA_URL = `${AUDIENCE}${WELL_KNOWN}`;
const metadata = { metadata: true } as const;
const signingPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function documentOf(response: RawResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** No `null` members and no empty arrays, anywhere in the document. */
function assertNoEmptyMembers(t: ExecutionContext, document: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(document)) {
    t.not(value, null, `${name} is null`);
    if (Array.isArray(value)) t.true(value.length > 0, `${name} is an empty array`);
  }
}

function assertServedHeaders(t: ExecutionContext, response: RawResponse): void {
  t.regex(String(response.headers['content-type']), /^application\/json/);
  t.is(response.headers['cache-control'], 'public, max-age=3600');
  t.is(response.headers['access-control-allow-origin'], '*');
}

/** The `resource_metadata` of each challenge of a response. */
function assertChallengesPoint(t: ExecutionContext, response: RawResponse, url: string | undefined, schemes = ['Bearer', 'DPoP']): void {
  for (const scheme of schemes) {
    t.is(findChallenge(response.headers['www-authenticate'] as string, scheme)?.params.resource_metadata, url, `${scheme} resource_metadata`);
  }
}

const table: HttpCase[] = [
  {
    title: 'GET the well-known URL → 200, every member derived from the guard, no token needed',
    options: () => ({ resourceMetadata: { resource: AUDIENCE, scopesSupported: ['orders:read', 'orders:write'], resourceName: 'Orders API' } }),
    app: metadata,
    run: async (context) => ({ response: await context.send(WELL_KNOWN) }),
    expect: { status: 200 },
    check(t, context, response) {
      assertServedHeaders(t, response);
      t.deepEqual(documentOf(response), {
        resource: AUDIENCE,
        authorization_servers: [context.issuer.issuer],
        bearer_methods_supported: ['header'],
        dpop_signing_alg_values_supported: [...DEFAULT_DPOP_ALGORITHMS],
        dpop_bound_access_tokens_required: false,
        tls_client_certificate_bound_access_tokens: true,
        scopes_supported: ['orders:read', 'orders:write'],
        resource_name: 'Orders API',
      });
    },
  },
  {
    title: 'DPoP required with two algorithms: the document lists exactly the challenge\'s algs',
    options: () => ({ resourceMetadata: { resource: AUDIENCE }, dpop: { required: true, algorithms: ['ES256', 'EdDSA'] } }),
    app: metadata,
    async run(context) {
      context.notes.unauthenticated = await context.send('/protected');
      return { response: await context.send(WELL_KNOWN) };
    },
    expect: { status: 200 },
    check(t, context, response) {
      const document = documentOf(response);
      const dpop = findChallenge((context.notes.unauthenticated as RawResponse).headers['www-authenticate'] as string, 'DPoP');
      t.deepEqual(document.dpop_signing_alg_values_supported, dpop?.params.algs?.split(' '));
      t.deepEqual(document.dpop_signing_alg_values_supported, ['ES256', 'EdDSA']);
      t.is(document.dpop_bound_access_tokens_required, true);
    },
  },
  {
    title: 'DPoP and mTLS off, tokens in header and query: no DPoP member, mTLS false, both bearer methods',
    options: () => ({
      resourceMetadata: { resource: AUDIENCE, resourceDocumentation: 'https://docs.example.test/api', jwksUri: 'https://api.example.test/jwks' },
      dpop: false, mtls: false, tokenLocations: ['header', 'query'],
    }),
    app: metadata,
    run: async (context) => ({ response: await context.send(WELL_KNOWN) }),
    expect: { status: 200 },
    check(t, _context, response) {
      const document = documentOf(response);
      assertNoEmptyMembers(t, document);
      t.false('dpop_signing_alg_values_supported' in document);
      t.false('scopes_supported' in document);
      t.is(document.tls_client_certificate_bound_access_tokens, false);
      t.deepEqual(document.bearer_methods_supported, ['header', 'query']);
      t.is(document.resource_documentation, 'https://docs.example.test/api');
      t.is(document.jwks_uri, 'https://api.example.test/jwks');
    },
  },
  {
    title: 'a resource with a path: served at the path-suffixed URL and at the plain one; challenges name the suffixed one',
    options: () => ({ audience: [AUDIENCE, `${AUDIENCE}/mcp`], resourceMetadata: { resource: `${AUDIENCE}/mcp` } }),
    app: metadata,
    async run(context) {
      context.notes.plain = await context.send(WELL_KNOWN);
      context.notes.unauthenticated = await context.send('/protected');
      return { response: await context.send(`${WELL_KNOWN}/mcp`) };
    },
    expect: { status: 200 },
    check(t, context, response) {
      t.is(documentOf(response).resource, `${AUDIENCE}/mcp`);
      t.deepEqual(documentOf(context.notes.plain as RawResponse), documentOf(response));
      assertChallengesPoint(t, context.notes.unauthenticated as RawResponse, `${AUDIENCE}${WELL_KNOWN}/mcp`);
    },
  },
  {
    title: 'HEAD → 200 with the headers of GET and no body',
    options: () => ({ resourceMetadata: { resource: AUDIENCE } }),
    app: metadata,
    async run(context) {
      context.notes.get = await context.send(WELL_KNOWN);
      return { response: await context.send(WELL_KNOWN, { method: 'HEAD' }) };
    },
    expect: { status: 200 },
    check(t, context, response) {
      assertServedHeaders(t, response);
      t.is(response.body, '');
      t.is(response.headers['content-length'], (context.notes.get as RawResponse).headers['content-length']);
    },
  },
  ...['POST', 'PUT', 'DELETE', 'OPTIONS'].map((method): HttpCase => ({
    title: `${method} the well-known URL → 405 with Allow: GET, HEAD`,
    options: () => ({ resourceMetadata: { resource: AUDIENCE } }),
    app: metadata,
    run: async (context) => ({ response: await context.send(WELL_KNOWN, { method, body: method === 'POST' ? '{}' : undefined }) }),
    expect: { status: 405 },
    check(t, _context, response) {
      t.is(response.headers.allow, 'GET, HEAD');
    },
  })),
  // Signing needs a private key, which only the node:crypto backend loads (test/crypto/limits.test.ts).
  ...(CRYPTO_BACKEND === 'webcrypto' ? [] : [{
    title: 'signingKey: signed_metadata is a JWT by that key whose claims are the document',
    options: () => ({ resourceMetadata: { resource: AUDIENCE, signingKey: { key: signingPair.privateKey, alg: 'ES256', kid: 'meta-1' } } }),
    app: metadata,
    run: async (context) => ({ response: await context.send(WELL_KNOWN) }),
    expect: { status: 200 },
    async check(t, _context, response) {
      const { signed_metadata: signed, ...document } = documentOf(response);
      t.is(typeof signed, 'string');
      const { payload, protectedHeader } = await jwtVerify(signed as string, signingPair.publicKey, { issuer: AUDIENCE, algorithms: ['ES256'] });
      t.is(protectedHeader.kid, 'meta-1');
      for (const [name, value] of Object.entries(document)) t.deepEqual(payload[name], value, name);
    },
  } satisfies HttpCase]),
  {
    title: 'no credentials → 401 with resource_metadata in the Bearer and the DPoP challenge',
    options: () => ({ resourceMetadata: { resource: AUDIENCE } }),
    run: async (context) => ({ response: await context.send('/protected') }),
    expect: { status: 401, error: null, code: 'ERR_CREDENTIALS_MISSING' },
    check: (t, _context, response) => assertChallengesPoint(t, response, METADATA_URL),
  },
  {
    title: 'a bad token → 401 invalid_token with resource_metadata in both challenges',
    options: () => ({ resourceMetadata: { resource: AUDIENCE } }),
    async run(context: CaseContext) {
      const token = await context.issuer.sign({ aud: 'https://other.example.test' });
      return { response: await context.bearer(token), secrets: [token] };
    },
    expect: { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_AUDIENCE_INVALID' },
    check: (t, _context, response) => assertChallengesPoint(t, response, METADATA_URL),
  },
  {
    title: 'a missing scope → 403 insufficient_scope with scope and resource_metadata',
    options: () => ({ resourceMetadata: { resource: AUDIENCE } }),
    async run(context: CaseContext) {
      const token = await context.issuer.sign({ scope: 'orders:read' });
      return { response: await context.bearer(token, '/scopes/all'), secrets: [token] };
    },
    expect: { status: 403, error: 'insufficient_scope', scope: 'orders:read orders:write', code: 'ERR_SCOPE_INSUFFICIENT' },
    check: (t, _context, response) => assertChallengesPoint(t, response, METADATA_URL),
  },
  {
    title: 'without resourceMetadata no challenge carries resource_metadata, and the well-known URL is not served',
    run: async (context) => ({ response: await context.send('/protected') }),
    expect: { status: 401, error: null },
    async check(t, context, response) {
      assertChallengesPoint(t, response, undefined);
      t.is((await context.send(WELL_KNOWN)).status, 404);
    },
  },
];

runCaseTable(test, table);

for (const framework of FRAMEWORKS) {
  test(`[${framework}] DPoP required: the only challenge (DPoP) carries resource_metadata`, async (t) => {
    const issuer = await startMockIssuer();
    const app = await startApp(framework, { issuer: issuer.issuer, audience: AUDIENCE, resourceMetadata: { resource: AUDIENCE }, dpop: { required: true } });
    try {
      const response = await send(`${app.url}/protected`);
      t.is(response.status, 401);
      t.deepEqual(parseChallenges(response.headers['www-authenticate'] as string).map((challenge) => challenge.scheme), ['DPoP']);
      assertChallengesPoint(t, response, METADATA_URL, ['DPoP']);
    } finally {
      await app.close();
      await issuer.close();
    }
  });
}
