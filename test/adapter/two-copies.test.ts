/**
 * Two installed copies of `@resource-guard/core` (a hoisting accident, or an application and a
 * library each with its own): a guard and a context made by one are recognised by the other's
 * kit, since the guard's brand and the context's issuing guard sit under registered symbols, not
 * in `#private` fields or module-level maps. The second copy is the built core copied to another
 * directory, so every one of its modules is a separate instance.
 */
import test from 'ava';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Core from '@resource-guard/core';
import { requireScopes } from '@resource-guard/core';
import { createResourceMetadataEndpoint, isGuard, readAuthContext, resolveProtectArguments, authorizeRequirement } from '@resource-guard/core/adapter';
import { hmacSigner, rawJws } from '../helpers/issuer.js';

const SECRET = 'a-secret-of-at-least-32-bytes-for-hs256!';
// Inside the repository, so that the copy resolves jose and lru-cache as the real one does.
const copy = join(process.cwd(), 'node_modules', '.cache', `core-copy-${process.pid}`);

let other: typeof Core;
test.before(async () => {
  mkdirSync(copy, { recursive: true });
  cpSync(join('packages', 'core', 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join('packages', 'core', 'package.json'), join(copy, 'package.json'));
  other = await import(pathToFileURL(join(copy, 'dist', 'index.js')).href) as typeof Core;
});
test.after.always(() => {
  rmSync(copy, { recursive: true, force: true });
});

const now = Math.floor(Date.now() / 1000);
const token = rawJws(
  { alg: 'HS256', typ: 'at+jwt' },
  { iss: 'https://as.example', aud: 'https://api.example.test', sub: 'u', client_id: 'c', jti: 'j', scope: 'read', exp: now + 60, iat: now },
  hmacSigner(SECRET),
);
const request = { method: 'GET', url: 'https://api.example.test/', headers: { authorization: `Bearer ${token}` } };
const optionsOf = () => ({
  issuer: 'https://as.example', audience: 'https://api.example.test', secret: SECRET, resourceMetadata: { resource: 'https://api.example.test' },
});

test('a guard of the other copy is a guard here; its context passes getAuth and the route requirements', async (t) => {
  const guard = other.createGuard(optionsOf());
  t.true(isGuard(guard));
  t.is(resolveProtectArguments(guard).guard, guard);
  const auth = await guard.verify(request);
  t.is(readAuthContext(auth).subject, 'u');
  t.notThrows(() => authorizeRequirement(auth, undefined, requireScopes('read')));
  const refused = t.throws(() => authorizeRequirement(auth, undefined, requireScopes('write'))) as Core.GuardError;
  t.is(refused.code, 'ERR_SCOPE_INSUFFICIENT');
});

test('the other copy\'s guard serves its resource metadata through this copy\'s kit', async (t) => {
  const endpoint = createResourceMetadataEndpoint(other.createGuard(optionsOf()));
  const answer = await endpoint.respond('GET');
  t.is(answer.status, 200);
  t.is(JSON.parse(answer.body!).resource, 'https://api.example.test');
});

test('a spread copy of a context, or an object with guard-like methods, is no context and no guard', async (t) => {
  const guard = other.createGuard(optionsOf());
  const auth = await guard.verify(request);
  t.is((t.throws(() => readAuthContext({ ...auth })) as Core.GuardError).code, 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER');
  const lookalike = { authenticate: guard.authenticate, verify: guard.verify, authorize: guard.authorize, reject: guard.reject };
  t.false(isGuard(lookalike));
  // Taken for guard options, which it is not either.
  t.throws(() => resolveProtectArguments(lookalike), { instanceOf: TypeError });
});
