#!/usr/bin/env node
// Installs the packages the way a user does and runs them: `npm pack` every published package,
// lint the tarballs (publint, @arethetypeswrong/cli), install them into empty projects in a
// temporary directory OUTSIDE the workspace (so nothing resolves through the workspace's
// node_modules), build each project with its own TypeScript settings, start it, and send it real
// HTTP requests: no token, a valid token and a forged one. Tokens are signed here and their keys
// served by a JWKS server on loopback. Every README quick start, taken from README.md unchanged,
// is set up as its "Try it" recipe says (npm init -y, npm pkg set type=module, npm install, tsx)
// in an empty directory and run against the dev authorization server (tools/, built) with its
// tokens; outside production it must log why it refused the forged token. `KEEP_CONSUMERS=1` keeps the
// temporary directory; `ONLY=<part of a scenario name>` runs those scenarios only.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'resource-guard-consumers-'));
const AUDIENCE = 'https://api.example.test';
const redisServers = [];
process.on('exit', () => {
  for (const server of redisServers) server.kill();
  if (process.env.KEEP_CONSUMERS === '1') console.log(`kept ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
});
// Interrupted: still stop the servers and remove the directory (the 'exit' handler above).
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1));

async function sh(command, args, cwd) {
  try {
    return (await exec(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false', FORCE_COLOR: '0', NO_COLOR: '1' } })).stdout;
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error });
  }
}

// ---- 1. pack and lint ----------------------------------------------------------------------

const packages = fs.readdirSync(path.join(root, 'packages'))
  .map((name) => path.join(root, 'packages', name))
  .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
  .filter((dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).private !== true);

const tarballs = {};
const tarballDir = path.join(work, 'tarballs');
fs.mkdirSync(tarballDir);
for (const dir of packages) {
  // prepack builds the package, so this also proves an unbuilt clone packs a complete package.
  const [info] = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', tarballDir], dir));
  tarballs[info.name] = path.join(tarballDir, info.filename);
  const unpacked = path.join(work, 'unpacked', info.name);
  fs.mkdirSync(unpacked, { recursive: true });
  await sh('tar', ['-xzf', tarballs[info.name], '-C', unpacked, '--strip-components=1'], work);
  checkTarball(info, unpacked);
  const publint = await sh('npx', ['publint', '--strict', '--pack', 'false', unpacked], root);
  // ESM-only on purpose: require() of it works from Node.js 20.19 (engines) and TypeScript's
  // nodenext since 5.8 (both run below), which attw's node16-from-CJS mode does not model.
  const attw = await sh('npx', ['attw', tarballs[info.name], '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped'], root);
  console.log(`ok   ${info.name}: packed ${info.entryCount} files; publint: ${publint.trim().split('\n').at(-1)}\n${attw.trim()}`);
}

function checkTarball(info, unpacked) {
  const files = info.files.map((file) => file.path);
  for (const required of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts']) {
    if (!files.includes(required)) throw new Error(`${info.name}: the tarball lacks ${required}`);
  }
  const stray = files.filter((file) => /tsbuildinfo$|\.test\.|(^|\/)test\//.test(file));
  if (stray.length > 0) throw new Error(`${info.name}: the tarball ships ${stray.join(', ')}`);
  for (const map of files.filter((file) => file.endsWith('.map'))) {
    const { sources } = JSON.parse(fs.readFileSync(path.join(unpacked, map), 'utf8'));
    for (const source of sources) {
      const target = path.join(unpacked, path.dirname(map), source);
      if (!fs.existsSync(target)) throw new Error(`${info.name}: ${map} points at ${source}, which is not in the tarball`);
    }
  }
}

// ---- 2. a JWKS server on loopback and tokens -----------------------------------------------

const signing = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const forger = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks = JSON.stringify({ keys: [{ ...signing.publicKey.export({ format: 'jwk' }), kid: 'consumer-key', alg: 'ES256', use: 'sig' }] });
const jwksServer = http.createServer((req, res) => {
  res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' }).end(req.url === '/jwks' ? jwks : '{}');
});
await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
const ISSUER = `http://127.0.0.1:${jwksServer.address().port}`;

function signToken(privateKey, claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'ES256', typ: 'at+jwt', kid: 'consumer-key' })}.${encode({
    iss: ISSUER, aud: AUDIENCE, sub: 'alice', client_id: 'consumer-test', scope: 'orders:read',
    iat: now, exp: now + 300, jti: crypto.randomUUID(), ...claims,
  })}`;
  const signature = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

// The README's quick starts run unchanged against the real dev authorization server.
const { startAuthorizationServer } = await import(pathToFileURL(path.join(root, 'tools/dev-authorization-server/dist/index.js')).href);
const devAs = await startAuthorizationServer();
const devResource = 'urn:resource-guard:jwt-api';

async function devAsToken(scope) {
  const { clientId, clientSecret } = devAs.clients.demo;
  const response = await fetch(`${devAs.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: devResource }),
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`dev AS token endpoint: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

// The token with its signature replaced by one of another key: the header (kid) and claims stay.
function forge(token) {
  const input = token.split('.').slice(0, 2).join('.');
  return `${input}.${crypto.sign('sha256', Buffer.from(input), { key: forger.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function readmeBlock(heading) {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const escaped = heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${escaped}\\n+\`\`\`ts\\n([\\s\\S]*?)\\n\`\`\`$`, 'm').exec(readme);
  if (match === null) throw new Error(`README.md has no \`\`\`ts block under "${heading}"`);
  return match[1];
}

// A throwaway redis-server on loopback (no persistence), stopped when this script exits.
async function startRedis() {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redisServers.push(server);
  await new Promise((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`redis-server could not start (is it installed?): ${error.message}`)));
    server.once('spawn', resolve);
  });
  return `redis://127.0.0.1:${port}`;
}

async function freePort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---- 3. consumer projects ------------------------------------------------------------------

// Each app reads ISSUER, AUDIENCE and JWKS_URI, serves GET /orders (scope orders:read) and
// prints "listening <port>".
const expressApp = ({ esm }) => `${esm
  ? `import express from 'express';\nimport { errorHandler, getAuth, protect, requireScopes } from '@resource-guard/express';`
  : `const express = require('express');\nconst { errorHandler, getAuth, protect, requireScopes } = require('@resource-guard/express');`}
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '' } = process.env;
const app = express();
app.use(protect({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI }));
app.get('/orders', requireScopes('orders:read'), (req, res) => {
  const auth = getAuth(req);
  const subject: string | undefined = auth.subject;
  res.json({ subject, scopes: auth.scopes });
});
app.use(errorHandler());
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log('listening ' + (typeof address === 'object' && address !== null ? address.port : ''));
});
`;

const koaApp = ({ esm }) => `${esm
  ? `import Koa from 'koa';\nimport Router from '@koa/router';\nimport { errorHandler, getAuth, protect, requireScopes } from '@resource-guard/koa';`
  : `const Koa = require('koa');\nconst Router = require('@koa/router');\nconst { errorHandler, getAuth, protect, requireScopes } = require('@resource-guard/koa');`}
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '' } = process.env;
const app = new Koa();
const router = new Router();
app.use(errorHandler());
app.use(protect({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI }));
router.get('/orders', requireScopes('orders:read'), (ctx) => {
  const auth = getAuth(ctx);
  const subject: string | undefined = auth.subject;
  ctx.body = { subject, scopes: auth.scopes };
});
app.use(router.routes());
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log('listening ' + (typeof address === 'object' && address !== null ? address.port : ''));
});
`;

// The Redis store from its tarball against a real redis-server: the app reports whether it connected.
const redisApp = `import express from 'express';
import { errorHandler, getAuth, protect, requireScopes } from '@resource-guard/express';
import { createRedisStore } from '@resource-guard/redis';
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '', REDIS_URL = '' } = process.env;
const store = createRedisStore({ url: REDIS_URL });
const connected = await store.ready(10_000);
const app = express();
app.use(protect({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI, store }));
app.get('/orders', requireScopes('orders:read'), (req, res) => {
  res.json({ subject: getAuth(req).subject, connected });
});
app.use(errorHandler());
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log('listening ' + (typeof address === 'object' && address !== null ? address.port : ''));
});
`;

// The gateway package from its tarball: a token-handler cookie turned into the Bearer token that
// protect() verifies in the same app (an API that is its own token handler).
const gatewayApp = `import express from 'express';
import { errorHandler, getAuth, protect, requireScopes } from '@resource-guard/express';
import { createOAuthAgent, createTokenHandler } from '@resource-guard/gateway';
import { gateway, oauthAgent } from '@resource-guard/gateway/express';
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '', COOKIE_KEY = '' } = process.env;
const app = express();
// One configuration for the OAuth agent (its routes are not called here) and the proxy.
const tokenHandler = {
  keys: [{ kid: 'consumer', key: COOKIE_KEY }],
  allowedOrigins: ['https://app.example.test'],
  agent: { issuer: 'https://as.example.test', clientId: 'consumer', clientSecret: 'secret', redirectUri: 'https://app.example.test/' },
};
app.use('/oauth-agent', oauthAgent(createOAuthAgent(tokenHandler)));
app.use(gateway(createTokenHandler(tokenHandler)));
app.use(protect({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI }));
app.get('/orders', requireScopes('orders:read'), (req, res) => {
  res.json({ subject: getAuth(req).subject });
});
app.use(errorHandler());
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log('listening ' + (typeof address === 'object' && address !== null ? address.port : ''));
});
`;

// HTTP message signatures from their tarball: the app signs and verifies a FAPI 2.0 request at
// start-up (a client's signer against the middleware's verifier) and signs its responses.
const httpSignaturesApp = `import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import express from 'express';
import { errorHandler, getAuth, protect, requireScopes } from '@resource-guard/express';
import { createRequestSignatureVerifier, createRequestSigner } from '@resource-guard/http-signatures';
import { signResponses } from '@resource-guard/http-signatures/express';
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '' } = process.env;
const jwk = (pair: { publicKey: KeyObject; privateKey: KeyObject }) => ({ publicJwk: pair.publicKey.export({ format: 'jwk' }), privateJwk: pair.privateKey.export({ format: 'jwk' }) });
const client = jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const server = jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
const request = { method: 'POST', url: 'https://api.example.test/orders', headers: { authorization: 'Bearer x' }, body: new TextEncoder().encode('{}') };
const fields = await createRequestSigner({ key: client.privateJwk }).sign(request);
const checked = await createRequestSignatureVerifier({ keys: { keys: [client.publicJwk] } }).verify({ ...request, headers: { ...request.headers, ...fields } });
const app = express();
app.use(protect({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI }));
app.get('/orders', signResponses({ key: server.privateJwk }), requireScopes('orders:read'), (req, res) => {
  res.json({ subject: getAuth(req).subject, selfCheck: checked.components.includes('"content-digest"') });
});
app.use(errorHandler());
const server_ = app.listen(0, '127.0.0.1', () => {
  const address = server_.address();
  console.log('listening ' + (typeof address === 'object' && address !== null ? address.port : ''));
});
`;

const fastifyApp = `import Fastify from 'fastify';
import { requireScopes, resourceGuard } from '@resource-guard/fastify';
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '' } = process.env;
const app = Fastify();
await app.register(resourceGuard, { issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI });
app.get('/orders', { preHandler: requireScopes('orders:read') }, async (request) => ({ subject: request.auth?.subject }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
console.log('listening ' + new URL(address).port);
`;

// The fetch adapter behind a minimal node:http bridge (what Hono's or Next.js's servers do).
const fetchApp = `import http from 'node:http';
import { createGuard, requireScopes, withAuth } from '@resource-guard/fetch';
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '' } = process.env;
const guard = createGuard({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI });
const handler = withAuth(guard, (_request, auth) => Response.json({ subject: auth.subject }), { require: requireScopes('orders:read') });
const server = http.createServer(async (req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const response = await handler(new Request('http://' + (req.headers.host ?? 'localhost') + (req.url ?? '/'), { method: req.method ?? 'GET', headers }));
  res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log('listening ' + (typeof address === 'object' && address !== null ? address.port : ''));
});
`;

// The Hono middleware from its subpath, served by @hono/node-server-like bridging on node:http.
const honoApp = `import http from 'node:http';
import { Hono } from 'hono';
import { createGuard } from '@resource-guard/fetch';
import { getAuth, protect, requireScopes, type AuthEnv } from '@resource-guard/fetch/hono';
const { ISSUER = '', AUDIENCE = '', JWKS_URI = '' } = process.env;
const app = new Hono<AuthEnv>();
app.use('/orders', protect(createGuard({ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI })));
app.get('/orders', requireScopes('orders:read'), (c) => c.json({ subject: getAuth(c).subject }));
const server = http.createServer(async (req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const response = await app.fetch(new Request('http://' + (req.headers.host ?? 'localhost') + (req.url ?? '/'), { method: req.method ?? 'GET', headers }));
  res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log('listening ' + (typeof address === 'object' && address !== null ? address.port : ''));
});
`;

// A module as a Worker or Deno would load it: no node: types anywhere, configuration handed in.
const workerApp = `import { createGuard, requireScopes, withAuth, type GuardOptions } from '@resource-guard/fetch';
export function createHandler(options: Pick<GuardOptions, 'issuer' | 'audience' | 'jwksUri'>): (request: Request) => Promise<Response> {
  return withAuth(createGuard(options), (_request, auth) => Response.json({ subject: auth.subject }), { require: requireScopes('orders:read') });
}
`;

// Plain JavaScript that serves a fetch handler on node:http: \`handler\` is an expression giving
// (request) => Promise<Response>, from the module compiled to dist/app.js.
const bridge = (handler) => `import http from 'node:http';
import * as app from './dist/app.js';
const handler = ${handler};
const server = http.createServer(async (req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  const response = await handler(new Request('http://' + (req.headers.host ?? 'localhost') + (req.url ?? '/'), { method: req.method ?? 'GET', headers }));
  res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()));
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

// Every subpath entry point of @resource-guard/mcp and @resource-guard/core/exchange, imported
// by name (ESM, compiled by the strict compiler) and required (CommonJS, require() of ES modules):
// each builds what it exports, and the fetch entry point answers a request without a token.
const subpathChecks = `const { ISSUER = '' } = process.env;
const resource = 'https://mcp.example.test/mcp';
const options = { issuer: ISSUER, resource, jwksUri: ISSUER + '/jwks' };
const fetchAuth = fetchMcpAuth(options);
for (const auth of [rootMcpAuth(options), expressMcpAuth(options), koaMcpAuth(options), fastifyMcpAuth(options), fetchAuth]) if (typeof auth.protect !== 'function' || !auth.resourceMetadataUrl.startsWith('https://mcp.example.test/')) throw new Error('an mcpAuth() lacks its members');
if (typeof expressToolScopes({ 'orders.read': 'orders:read' }) !== 'function') throw new Error('requireToolScopes');
const handler = fetchAuth.protect(async () => new Response('ok'));
const refused = await handler(new Request(resource, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
if (refused.status !== 401 || !(refused.headers.get('www-authenticate') ?? '').includes('resource_metadata=')) throw new Error('fetch protect(): ' + refused.status);
const exchange = createTokenExchange(createGuard({ issuer: ISSUER, audience: resource, jwksUri: ISSUER + '/jwks' }), { clientId: 'api', clientSecret: 'secret', tokenEndpoint: ISSUER + '/token' });
if (typeof exchange.exchangeToken !== 'function' || ACCESS_TOKEN_TYPE !== 'urn:ietf:params:oauth:token-type:access_token') throw new Error('exchange');
if (!(new TokenExchangeRefusedError('refused', 'ERR_EXCHANGE_REFUSED', undefined).status === 403)) throw new Error('TokenExchangeRefusedError');
console.log('subpaths ok');
`;
const subpathApp = `import { createGuard } from '@resource-guard/core';
import { ACCESS_TOKEN_TYPE, createTokenExchange, TokenExchangeRefusedError, type TokenExchangeOptions } from '@resource-guard/core/exchange';
import { mcpAuth as rootMcpAuth } from '@resource-guard/mcp';
import { mcpAuth as expressMcpAuth, requireToolScopes as expressToolScopes } from '@resource-guard/mcp/express';
import { mcpAuth as koaMcpAuth } from '@resource-guard/mcp/koa';
import { mcpAuth as fastifyMcpAuth } from '@resource-guard/mcp/fastify';
import { mcpAuth as fetchMcpAuth, type McpAuth as FetchMcpAuth } from '@resource-guard/mcp/fetch';
const typed: { options?: TokenExchangeOptions; auth?: FetchMcpAuth } = {};
void typed;
${subpathChecks}`;
const subpathRequire = `(async () => {
const { createGuard } = require('@resource-guard/core');
const { ACCESS_TOKEN_TYPE, createTokenExchange, TokenExchangeRefusedError } = require('@resource-guard/core/exchange');
const { mcpAuth: rootMcpAuth } = require('@resource-guard/mcp');
const { mcpAuth: expressMcpAuth, requireToolScopes: expressToolScopes } = require('@resource-guard/mcp/express');
const { mcpAuth: koaMcpAuth } = require('@resource-guard/mcp/koa');
const { mcpAuth: fastifyMcpAuth } = require('@resource-guard/mcp/fastify');
const { mcpAuth: fetchMcpAuth } = require('@resource-guard/mcp/fetch');
${subpathChecks}})().catch((error) => { console.error(error); process.exitCode = 1; });
`;

// Plain JavaScript: the TypeScript-only parts of the app sources above removed.
const toJavaScript = (source) => source.replace(': string | undefined', '');

const strict = {
  strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, noImplicitOverride: true,
  skipLibCheck: false, target: 'ES2022', outDir: 'dist', rootDir: 'src', types: ['node'],
};

const scenarios = [
  {
    name: 'ESM, TypeScript strict (nodenext, skipLibCheck off), Express 5',
    type: 'module',
    dependencies: { express: '^5.1.0', '@types/express': '^5.0.0', '@types/node': '^20.19.0' },
    tsconfig: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true },
    source: expressApp({ esm: true }),
  },
  {
    name: 'CommonJS require(), plain JavaScript, Express 4.21',
    type: 'commonjs',
    dependencies: { express: '~4.21.0' },
    source: toJavaScript(expressApp({ esm: false })),
  },
  {
    name: 'CommonJS, TypeScript module nodenext, Koa 3',
    type: 'commonjs',
    dependencies: { koa: '^3.0.0', '@koa/router': '^15.0.0', '@types/koa': '^3.0.0', '@types/node': '^20.19.0' },
    // skipLibCheck: @types/koa names a member that newer content-disposition types lack.
    tsconfig: { ...strict, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext' },
    source: koaApp({ esm: true }),
  },
  {
    name: 'CommonJS, TypeScript module commonjs (node10 resolution), Koa 2',
    type: 'commonjs',
    dependencies: { koa: '^2.16.0', '@koa/router': '^15.0.0', '@types/koa': '^2.15.0', '@types/node': '^20.19.0' },
    tsconfig: { ...strict, skipLibCheck: true, module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
    source: koaApp({ esm: true }),
  },
  {
    name: 'ESM, TypeScript strict, @resource-guard/redis with ioredis 6 against a real redis-server, Express 5',
    type: 'module',
    dependencies: { express: '^5.1.0', ioredis: '^6.0.0', '@types/express': '^5.0.0', '@types/node': '^20.19.0' },
    tsconfig: { ...strict, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true },
    source: redisApp,
    redis: true,
  },
  {
    name: 'ESM, TypeScript strict, @resource-guard/gateway token handler in front of protect(), Express 5',
    type: 'module',
    dependencies: { express: '^5.1.0', '@types/express': '^5.0.0', '@types/node': '^20.19.0' },
    tsconfig: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true },
    source: gatewayApp,
    cookie: true,
  },
  {
    name: 'ESM, TypeScript strict, @resource-guard/http-signatures: a signed request verified, responses signed, Express 5',
    type: 'module',
    dependencies: { express: '^5.1.0', '@types/express': '^5.0.0', '@types/node': '^20.19.0' },
    tsconfig: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true, lib: ['ES2023', 'DOM'] },
    source: httpSignaturesApp,
    httpSignatures: true,
  },
  {
    name: 'ESM, TypeScript strict, Fastify 5 (the plugin renders the one error body)',
    type: 'module',
    dependencies: { fastify: '^5.0.0', '@types/node': '^20.19.0' },
    tsconfig: { ...strict, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true },
    source: fastifyApp,
  },
  {
    name: 'ESM, TypeScript strict, fetch adapter behind node:http',
    type: 'module',
    dependencies: { '@types/node': '^20.19.0' },
    tsconfig: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true, lib: ['ES2023', 'DOM', 'DOM.Iterable'] },
    source: fetchApp,
  },
  {
    name: 'fetch adapter and its Hono middleware with the newest @types/node, skipLibCheck off',
    type: 'module',
    dependencies: { hono: '^4.0.0', '@types/node': 'latest' },
    tsconfig: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true, lib: ['ES2023', 'DOM', 'DOM.Iterable'] },
    source: honoApp,
  },
  {
    name: 'fetch adapter with NO @types/node (a Worker-style module, skipLibCheck off), served by a plain JS bridge',
    type: 'module',
    dependencies: {},
    tsconfig: { ...strict, types: [], module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true, lib: ['ES2023', 'DOM', 'DOM.Iterable'] },
    source: workerApp,
    bridge: true,
  },
  {
    name: 'the subpaths @resource-guard/mcp/{express,koa,fastify,fetch} and @resource-guard/core/exchange: ESM (TypeScript strict, nodenext) and CommonJS require()',
    type: 'module',
    dependencies: {
      '@modelcontextprotocol/sdk': '^1.24.0', express: '^5.1.0', koa: '^3.0.0', fastify: '^5.0.0',
      '@types/express': '^5.0.0', '@types/koa': '^3.0.0', '@types/node': '^20.19.0',
    },
    // skipLibCheck: @types/koa names a member that newer content-disposition types lack.
    tsconfig: { ...strict, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true, lib: ['ES2023', 'DOM', 'DOM.Iterable'] },
    source: subpathApp,
    requireSource: subpathRequire,
    selfCheck: true,
  },
  ...[
    { heading: '## Quick start: Express', dependencies: { express: '^5.1.0' }, devDependencies: ['tsx', '@types/express'] },
    { heading: '## Quick start: Koa', dependencies: { koa: '^3.0.0', '@koa/router': '^15.0.0' }, devDependencies: ['tsx', '@types/koa'], skipLibCheck: true },
    { heading: '## Quick start: Fastify', dependencies: { fastify: '^5.0.0' }, devDependencies: ['tsx', '@types/node'], skipLibCheck: true },
    { heading: '## Quick start: Web-standard runtimes (Next.js, Hono, Bun, Deno)', dependencies: {}, devDependencies: ['tsx', '@types/node'], routeHandler: true },
  ].map(({ heading, dependencies, devDependencies, skipLibCheck = false, routeHandler = false }) => ({
    name: `README ${heading.slice(3)}, unchanged, as the "Try it" recipe sets it up, against the dev authorization server`,
    readme: true,
    dependencies,
    devDependencies,
    tsconfig: { ...strict, skipLibCheck, module: 'nodenext', moduleResolution: 'nodenext', verbatimModuleSyntax: true, lib: ['ES2023', 'DOM', 'DOM.Iterable'] },
    source: readmeBlock(heading),
    routeHandler,
    devAs: true,
  })),
];

async function runScenario(scenario, index) {
  const dir = path.join(work, `consumer-${index}`);
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  const tarballDependencies = Object.values(tarballs).map((file) => `file:${file}`);
  let entry;
  let command = [];
  if (scenario.readme) {
    // The README's "Try it" recipe, step by step, in an empty directory: npm init -y (which writes
    // "type": "commonjs" since npm 11), npm pkg set type=module, the installs, then npx tsx.
    await sh('npm', ['init', '-y'], dir);
    await sh('npm', ['pkg', 'set', 'type=module'], dir);
    const dependencies = Object.entries(scenario.dependencies).map(([name, range]) => `${name}@${range}`);
    await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballDependencies, ...dependencies], dir);
    await sh('npm', ['install', '-D', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...scenario.devDependencies], dir);
    fs.writeFileSync(path.join(dir, 'server.ts'), scenario.source);
    // tsx does not type-check: the strict compiler does, on the file as saved.
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...scenario.tsconfig, noEmit: true, rootDir: '.' }, files: ['server.ts'] }, null, 2));
    await sh(process.execPath, [tsc, '-p', dir], dir);
    const tsx = path.join(dir, 'node_modules/tsx/dist/cli.mjs');
    if (scenario.routeHandler) {
      // A route handler module (app/orders/route.ts): what Next.js would call, served here.
      fs.writeFileSync(path.join(dir, 'serve.ts'), bridge('app.GET').replace("'./dist/app.js'", "'./server.ts'"));
      command = [tsx, 'serve.ts'];
    } else {
      command = [tsx, 'server.ts'];
    }
  } else {
    const dependencies = { ...scenario.dependencies };
    for (const [name, file] of Object.entries(tarballs)) dependencies[name] = `file:${file}`;
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${index}`, private: true, type: scenario.type, dependencies }, null, 2));
    await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
    if (scenario.tsconfig === undefined) {
      entry = path.join(dir, 'src', 'app.js');
      fs.writeFileSync(entry, scenario.source);
    } else {
      fs.writeFileSync(path.join(dir, 'src', 'app.ts'), scenario.source);
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: scenario.tsconfig, include: ['src'] }, null, 2));
      await sh(process.execPath, [tsc, '-p', dir], dir);
      entry = path.join(dir, 'dist', 'app.js');
    }
    if (scenario.bridge) {
      entry = path.join(dir, 'serve.mjs');
      fs.writeFileSync(entry, bridge('app.createHandler({ issuer: process.env.ISSUER, audience: process.env.AUDIENCE, jwksUri: process.env.JWKS_URI })'));
    }
    command = [entry];
  }
  if (scenario.selfCheck) {
    // No server: each entry checks itself and says so; the CommonJS one requires the same subpaths.
    const env = { ...process.env, NODE_ENV: 'production', ISSUER };
    fs.writeFileSync(path.join(dir, 'check.cjs'), scenario.requireSource);
    for (const file of [entry, path.join(dir, 'check.cjs')]) {
      const { stdout, stderr } = await exec(process.execPath, [file], { cwd: dir, env }).catch((error) => {
        throw new Error(`${path.basename(file)} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error });
      });
      assert(stdout.trim() === 'subpaths ok' && stderr === '', `${path.basename(file)}: ${stdout}${stderr}`);
    }
    return;
  }
  // The README's apps listen on PORT; the others print the port they were given by the system.
  const port = scenario.devAs ? await freePort() : undefined;
  const env = scenario.devAs
    ? { ISSUER: devAs.issuer, AUDIENCE: devResource, PORT: String(port) }
    : {
      // Production: these apps must answer 4xx without a word (the dev log line is asserted below).
      NODE_ENV: 'production', ISSUER, AUDIENCE, JWKS_URI: `${ISSUER}/jwks`,
      ...(scenario.redis ? { REDIS_URL: await startRedis() } : {}),
      ...(scenario.cookie ? { COOKIE_KEY: cookieKey.toString('base64url') } : {}),
    };
  const { NODE_ENV: _unset, ...inherited } = process.env;
  const child = spawn(process.execPath, command, { cwd: dir, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  try {
    const url = `http://127.0.0.1:${port ?? await announcedPort(child, () => stderr)}/orders`;
    if (scenario.cookie) {
      await expectCookieResponses(url);
    } else if (scenario.devAs) {
      await waitUntilListening(url, () => stderr);
      await expectResponses(url, await devAsToken('orders:read'), 'demo-client', await devAsToken('profile:read'));
    } else {
      const body = await expectResponses(url, signToken(signing.privateKey), 'alice', signToken(signing.privateKey, { scope: 'profile' }));
      if (scenario.redis) assert(body.connected === true, 'the Redis store did not connect');
      if (scenario.httpSignatures) assert(body.selfCheck === true, 'the signed request did not verify');
    }
    if (scenario.readme) {
      // Outside production every rejection says why, once, on stdout (console.debug), never on stderr.
      await new Promise((resolve) => setTimeout(resolve, 200));
      // One line per rejection: one forged token, one unscoped token sent; no-token requests twice
      // (the readiness probe and the check).
      for (const [code, expected] of [['ERR_JWS_SIGNATURE_INVALID', 1], ['ERR_SCOPE_INSUFFICIENT', 1], ['ERR_CREDENTIALS_MISSING', 2]]) {
        const count = stdout.split('\n').filter((line) => line.startsWith(`resource-guard: rejected `) && line.includes(` ${code}: `)).length;
        assert(count === expected, `expected ${expected} dev log line(s) for ${code}, found ${count}:\n${stdout}`);
      }
      if (stderr !== '') throw new Error(`wrote to stderr while answering 4xx:\n${stderr}`);
      return;
    }
    // In production 4xx are the callers' business: nothing on stderr or stdout (console.debug prints there).
    if (stderr !== '') throw new Error(`wrote to stderr while answering 4xx:\n${stderr}`);
    const printed = stdout.replace(/^listening \d+\n/, '');
    if (printed !== '') throw new Error(`wrote to stdout while answering 4xx:\n${printed}`);
  } finally {
    child.kill();
  }
}

function announcedPort(child, stderr) {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" within 60 s; stderr:\n${stderr()}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = /listening (\d+)/.exec(stdout);
      if (match) { clearTimeout(timer); resolve(Number(match[1])); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}; stderr:\n${stderr()}`)); });
  });
}

async function waitUntilListening(url, stderr) {
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    try {
      await (await fetch(url)).arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`nothing listening at ${url} within 60 s; stderr:\n${stderr()}`);
}

// Every adapter sends the one JSON body: { error, error_description }, error absent without credentials.
async function expectResponses(url, token, subject, unscopedToken) {
  const valid = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const validBody = await valid.json();
  assert(valid.status === 200 && Object.values(validBody).includes(subject), `valid token: ${valid.status} ${JSON.stringify(validBody)}`);

  const forgedToken = forge(token);
  const forged = await fetch(url, { headers: { authorization: `Bearer ${forgedToken}` } });
  const forgedText = await forged.text();
  assert(forged.status === 401, `forged token: status ${forged.status}`);
  assert(/^Bearer .*error="invalid_token"/.test(forged.headers.get('www-authenticate') ?? ''), `forged token: challenge ${forged.headers.get('www-authenticate')}`);
  assert(forged.headers.get('content-type')?.startsWith('application/json'), `forged token: content-type ${forged.headers.get('content-type')}`);
  assert(JSON.parse(forgedText).error === 'invalid_token' && typeof JSON.parse(forgedText).error_description === 'string', `forged token: body ${forgedText}`);
  assert(!forgedText.includes(forgedToken.split('.')[2]), 'forged token: the body echoes the token');

  const none = await fetch(url);
  const noneText = await none.text();
  assert(none.status === 401 && /^Bearer realm=/.test(none.headers.get('www-authenticate') ?? ''), `no token: ${none.status}`);
  assert(Object.keys(JSON.parse(noneText)).join() === 'error_description', `no token: body ${noneText} (RFC 6750 §3.1: no error member)`);

  if (unscopedToken === undefined) return validBody;
  const unscoped = await fetch(url, { headers: { authorization: `Bearer ${unscopedToken}` } });
  await unscoped.arrayBuffer();
  assert(unscoped.status === 403 && /error="insufficient_scope"/.test(unscoped.headers.get('www-authenticate') ?? ''), `unscoped token: ${unscoped.status}`);
  return validBody;
}

// The token-handler cookie: a JWE (dir, A256GCM) of a signed token, made here with jose.
const cookieKey = crypto.randomBytes(32);
async function expectCookieResponses(url) {
  const { CompactEncrypt } = await import('jose');
  const encrypt = (token) => new CompactEncrypt(new TextEncoder().encode(token)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: 'consumer', rgp: 'at' }).encrypt(cookieKey);
  const cookie = await encrypt(signToken(signing.privateKey));
  const valid = await fetch(url, { headers: { cookie: `__Host-rg-at=${cookie}` } });
  const body = await valid.json();
  assert(valid.status === 200 && body.subject === 'alice', `valid cookie: ${valid.status} ${JSON.stringify(body)}`);
  const [h, k, iv, ciphertext, tag] = cookie.split('.');
  const tampered = await fetch(url, { headers: { cookie: `__Host-rg-at=${[h, k, iv, (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1), tag].join('.')}` } });
  await tampered.arrayBuffer();
  assert(tampered.status === 401 && /error="invalid_token"/.test(tampered.headers.get('www-authenticate') ?? ''), `tampered cookie: ${tampered.status}`);
  const post = await fetch(url, { method: 'POST', headers: { cookie: `__Host-rg-at=${cookie}`, origin: 'https://evil.example' } });
  await post.arrayBuffer();
  assert(post.status === 403, `POST from another origin: ${post.status}`);
  const none = await fetch(url);
  await none.arrayBuffer();
  assert(none.status === 401, `no cookie: ${none.status}`);
  // The OAuth agent: a page load without a session, and a foreign origin refused.
  const agent = new URL('/oauth-agent/login/end', url).href;
  const pageLoad = (origin) => fetch(agent, {
    method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ pageUrl: 'https://app.example.test/' }),
  });
  const loggedOut = await (await pageLoad('https://app.example.test')).json();
  assert(loggedOut.isLoggedIn === false, `agent page load: ${JSON.stringify(loggedOut)}`);
  const foreign = await pageLoad('https://evil.example');
  await foreign.arrayBuffer();
  assert(foreign.status === 403, `agent from another origin: ${foreign.status}`);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

let failures = 0;
let ran = 0;
try {
  // One at a time: installs and servers share the machine with everything else.
  for (const [index, scenario] of scenarios.entries()) {
    if (process.env.ONLY !== undefined && !scenario.name.includes(process.env.ONLY)) continue;
    ran += 1;
    try {
      await runScenario(scenario, index);
      console.log(`ok   ${scenario.name}`);
    } catch (error) {
      failures += 1;
      console.error(`FAIL ${scenario.name}\n${error.message}`);
    }
  }
} finally {
  jwksServer.close();
  await devAs.close();
  for (const server of redisServers) server.kill();
}
console.log(failures === 0 ? `all ${ran} consumer projects passed` : `${failures} of ${ran} consumer projects failed`);
process.exitCode = failures === 0 && ran > 0 ? 0 : 1;
