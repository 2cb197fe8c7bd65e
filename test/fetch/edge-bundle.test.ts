/**
 * The edge path reaches no `node:` module: `@resource-guard/fetch` bundled by esbuild as for a
 * Worker (`platform: 'neutral'`, conditions `worker` and `browser`) imports none, and the bundle
 * verifies tokens end to end in a `node:vm` context that has only Web globals (no `Buffer`, no
 * `process`, no `require`): a valid token, a forged one, and a DPoP-bound token with its proof.
 */
import test from 'ava';
import { builtinModules } from 'node:module';
import vm from 'node:vm';
import { build, type Metafile } from 'esbuild';
import type * as FetchAdapter from '@resource-guard/fetch';
import { parseChallenges } from '../helpers/challenge.js';
import { clientKey, signProof } from '../helpers/dpop.js';
import { AUDIENCE, startMockIssuer } from '../helpers/issuer.js';

const ENTRY = `
export { CRYPTO_BACKEND, createGuard, withAuth, protectedResourceMetadata } from '@resource-guard/fetch';
`;

interface EdgeBundle {
  code: string;
  metafile: Metafile;
}

async function bundle(): Promise<EdgeBundle> {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: import.meta.dirname, loader: 'js' },
    bundle: true,
    write: false,
    platform: 'neutral',
    conditions: ['worker', 'browser'],
    mainFields: ['module', 'main'],
    format: 'iife',
    globalName: 'edge',
    target: 'es2022',
    metafile: true,
    // Left external so that the assertion below, not a resolution error, reports any that appears.
    external: ['node:*', ...builtinModules],
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, metafile: result.metafile };
}

const built = bundle();

/** Web globals only: what a Worker or an Edge function has. */
function webContext(): vm.Context {
  const { fetch, Request, Response, Headers, crypto, TextEncoder, TextDecoder, URL, URLSearchParams, AbortController, AbortSignal } = globalThis;
  return vm.createContext({
    fetch, Request, Response, Headers, crypto, TextEncoder, TextDecoder, URL, URLSearchParams, AbortController, AbortSignal,
    ReadableStream, DOMException, Event, EventTarget, atob, btoa, structuredClone, queueMicrotask, setTimeout, clearTimeout,
    performance, console,
  });
}

test('the bundle for a Worker imports no node: module or Node built-in', async (t) => {
  const { metafile, code } = await built;
  const imports = Object.values(metafile.outputs).flatMap((output) => output.imports.map((entry) => entry.path));
  t.deepEqual(imports.filter((path) => path.startsWith('node:') || builtinModules.includes(path)), []);
  const inputs = Object.keys(metafile.inputs);
  t.true(inputs.some((path) => path.endsWith('crypto/web-backend.js')), 'the WebCrypto backend is bundled');
  t.false(inputs.some((path) => path.endsWith('crypto/node-backend.js')), 'the node:crypto backend is not');
  t.false(inputs.some((path) => path.endsWith('stackless-error-node.js')));
  t.false(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'`]node:/.test(code), 'no node: specifier left in the code');
});

test('the bundle verifies tokens in a context with only Web globals', async (t) => {
  const { code } = await built;
  const context = webContext();
  vm.runInContext(code, context);
  t.is(vm.runInContext('typeof Buffer + typeof process + typeof require', context), 'undefinedundefinedundefined');
  const edge = context.edge as typeof FetchAdapter;
  t.is(edge.CRYPTO_BACKEND, 'webcrypto');

  const issuer = await startMockIssuer('ES256');
  t.teardown(() => issuer.close());
  const rsa = issuer.createKey('PS256');
  issuer.published.push(rsa);
  const guard = edge.createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, httpTimeout: 30_000, resourceMetadata: { resource: AUDIENCE } });
  const handler = edge.withAuth(guard, (_request, auth) => Response.json({ subject: auth.subject, scheme: auth.scheme }));
  const call = (headers: Record<string, string>) => handler(new Request(`${AUDIENCE}/orders`, { headers }));

  const token = await issuer.sign({ sub: 'edge-user' });
  const ok = await call({ authorization: `Bearer ${token}` });
  t.is(ok.status, 200);
  t.deepEqual(await ok.json(), { subject: 'edge-user', scheme: 'Bearer' });
  const pss = await call({ authorization: `Bearer ${await issuer.sign({}, { key: rsa })}` });
  t.is(pss.status, 200, 'an RSA-PSS token verifies too');

  const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(86)}`;
  const rejected = await call({ authorization: `Bearer ${forged}` });
  t.is(rejected.status, 401);
  const challenge = parseChallenges(rejected.headers.get('www-authenticate')!).find((item) => item.scheme === 'Bearer');
  t.is(challenge?.params.error, 'invalid_token');
  t.is(challenge?.params.resource_metadata, `${AUDIENCE}/.well-known/oauth-protected-resource`);

  const key = await clientKey('ES256');
  const bound = await issuer.sign({ cnf: { jkt: key.jkt } });
  const proof = await signProof(key, bound, `${AUDIENCE}/orders`);
  const dpop = await call({ authorization: `DPoP ${bound}`, dpop: proof });
  t.is(dpop.status, 200);
  t.is(((await dpop.json()) as { scheme: string }).scheme, 'DPoP');
  t.is((await call({ authorization: `DPoP ${bound}`, dpop: proof })).status, 401, 'the replayed proof is refused');

  const metadata = await edge.protectedResourceMetadata(guard)(new Request(`${AUDIENCE}/.well-known/oauth-protected-resource`));
  t.is(metadata?.status, 200);
  t.is(((await metadata!.json()) as { resource: string }).resource, AUDIENCE);
});
