/** The error registry: every code documented, no code outside it, errors immutable, no global state touched. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isNativeError } from 'node:util/types';
import test from 'ava';
import { GATEWAY_ERROR_CODES } from '@resource-guard/gateway';
import { HTTP_SIGNATURE_ERROR_CODES } from '@resource-guard/http-signatures';
import {
  ERROR_CODE_CLASSES, GUARD_ERROR_CODES, InvalidTokenError, MisconfigurationError, UpstreamUnavailableError, UseDpopNonceError, createGuard,
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

/** The core's registry, the gateway's and the HTTP signatures': code → the one class that may carry it. */
const registry: Readonly<Record<string, string>> = { ...ERROR_CODE_CLASSES, ...GATEWAY_ERROR_CODES, ...HTTP_SIGNATURE_ERROR_CODES };

test('every registered code appears in the documentation\'s error table', (t) => {
  const docs = documentation();
  const missing = Object.keys(registry).filter((code) => !docs.includes(`\`${code}\``));
  t.deepEqual(missing, []);
  t.is(Object.keys(registry).length, Object.keys(ERROR_CODE_CLASSES).length + Object.keys(GATEWAY_ERROR_CODES).length + Object.keys(HTTP_SIGNATURE_ERROR_CODES).length, 'no code registered twice');
  t.deepEqual([...GUARD_ERROR_CODES], Object.keys(ERROR_CODE_CLASSES));
  t.deepEqual(Object.keys(ERROR_CODE_CLASSES).filter((code) => code.startsWith('ERR_GATEWAY_')), [], 'the gateway\'s codes live in the gateway');
  t.deepEqual(Object.keys(HTTP_SIGNATURE_ERROR_CODES).filter((code) => !code.startsWith('ERR_HTTPSIG_')), [], 'the signature codes are ERR_HTTPSIG_*');
});

/** `new XError('message', 'ERR_...'` and `new GuardError('message', 'ERR_...'`: the class and the code of every literal construction. */
function constructions(text: string): Array<[string, string]> {
  return [...text.matchAll(/new (\w+Error)\(\s*(?:'[^'\n]*'|`[^`\n]*`|\w+),\s*'(ERR_[A-Z0-9_]+)'/g)].map((match) => [match[1]!, match[2]!]);
}

test('each code is carried only by its registered class (a 401 class never carries a 400\'s code)', (t) => {
  let checked = 0;
  const wrong: string[] = [];
  for (const path of sources) {
    for (const [name, code] of constructions(readFileSync(path, 'utf8'))) {
      checked += 1;
      if (registry[code] !== undefined && registry[code] !== name) wrong.push(`${path}: new ${name}(…, '${code}') but ${code} is a ${registry[code]}`);
    }
  }
  t.true(checked > 50, `the constructions were found (${checked})`);
  t.deepEqual(wrong, []);
  t.deepEqual(constructions("throw new InvalidTokenError('Bad', 'ERR_REQUEST_INVALID');"), [['InvalidTokenError', 'ERR_REQUEST_INVALID']]);
});

test('every code the sources use is registered, and none is built from a template', (t) => {
  t.true(sources.length > 20, 'the sources were found');
  const registered = new Set<string>(Object.keys(registry));
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
