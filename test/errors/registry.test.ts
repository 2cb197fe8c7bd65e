/** The error registry: every code documented, no code outside it, errors immutable, no global state touched. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isNativeError } from 'node:util/types';
import test from 'ava';
import {
  GUARD_ERROR_CODES, InvalidTokenError, MisconfigurationError, UpstreamUnavailableError, UseDpopNonceError, createGuard,
} from '@resource-guard/core';

const root = new URL('../../', import.meta.url).pathname;

/** README.md and docs/*.md: where the error table lives (or will). */
function documentation(): string {
  const docs = join(root, 'docs');
  const pages = existsSync(docs) ? readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => join(docs, name)) : [];
  return [join(root, 'README.md'), ...pages].map((path) => readFileSync(path, 'utf8')).join('\n');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const sources = readdirSync(join(root, 'packages')).flatMap((name) => {
  const dir = join(root, 'packages', name, 'src');
  return existsSync(dir) ? sourceFiles(dir) : [];
});

test('every registered code appears in the documentation\'s error table', (t) => {
  const docs = documentation();
  const missing = GUARD_ERROR_CODES.filter((code) => !docs.includes(`\`${code}\``));
  t.deepEqual(missing, []);
  t.is(new Set(GUARD_ERROR_CODES).size, GUARD_ERROR_CODES.length, 'no code registered twice');
});

test('every code the sources use is registered, and none is built from a template', (t) => {
  t.true(sources.length > 20, 'the sources were found');
  const registered = new Set<string>(GUARD_ERROR_CODES);
  const unregistered: string[] = [];
  for (const path of sources) {
    const text = readFileSync(path, 'utf8');
    for (const [code] of text.matchAll(/(?<=')ERR_[A-Z0-9_]+(?=')/g)) if (!registered.has(code)) unregistered.push(`${code} (${path})`);
    if (!path.endsWith('codes.ts')) t.false(/`ERR_[A-Z0-9_]*\$\{/.test(text), `${path}: a code built from a template`);
  }
  t.deepEqual(unregistered, []);
});

test('errors are native errors without a captured stack for 4xx; Error.stackTraceLimit is never changed', (t) => {
  const limit = Error.stackTraceLimit;
  const client = new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED');
  t.true(isNativeError(client));
  t.true(client instanceof InvalidTokenError && client instanceof Error);
  t.is(client.stack, 'InvalidTokenError: Token expired');
  const server = new MisconfigurationError('Broken');
  t.regex(server.stack ?? '', /\n\s+at /);
  t.is(Error.stackTraceLimit, limit);
  t.regex(new Error('after').stack ?? '', /\n\s+at /, 'the application still gets stacks');
});

test('rendering a rejection copies the error: the original is never changed', async (t) => {
  const guard = createGuard({ issuer: 'https://as.example.test', audience: 'https://api.example.test', dpop: { nonce: true } });
  const original = new InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED', { cause: new Error('inner') });
  const bearer = guard.reject(original, 'Bearer');
  const dpop = guard.reject(original, 'DPoP');
  t.deepEqual(original.headers, {});
  t.true(Object.isFrozen(original.headers));
  t.not(bearer, original);
  t.true(bearer instanceof InvalidTokenError && isNativeError(bearer));
  t.like(bearer, { code: 'ERR_TOKEN_EXPIRED', status: 401, message: 'Token expired', name: 'InvalidTokenError' });
  t.is((bearer as { cause?: unknown }).cause, (original as { cause?: unknown }).cause);
  t.not(bearer.headers['WWW-Authenticate'], dpop.headers['WWW-Authenticate']);
  t.true(Object.isFrozen(bearer.headers));
  // Headers made with the error (a fresh nonce) are kept next to the challenge.
  const nonce = guard.reject(new UseDpopNonceError(undefined, { headers: { 'DPoP-Nonce': 'n-1' } }), 'DPoP');
  t.is(nonce.headers['DPoP-Nonce'], 'n-1');
  t.truthy(nonce.headers['WWW-Authenticate']);
  // 503s carry Retry-After from the start and need no rendering.
  const down = new UpstreamUnavailableError('JWKS request failed', 'ERR_JWKS_UNAVAILABLE', { retryAfter: 7 });
  t.is(down.headers['Retry-After'], '7');
  const rendered = guard.reject(down);
  t.not(rendered, down, 'a copy per request: CORS middleware writes its headers onto the error it is thrown');
  t.deepEqual(rendered.headers, down.headers);
});
