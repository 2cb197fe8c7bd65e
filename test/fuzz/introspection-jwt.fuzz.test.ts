/**
 * Property-based fuzzing of RFC 9701 JWT introspection responses from a real loopback endpoint:
 * a correctly signed response is mutated (a character replaced, inserted or deleted, segments
 * swapped, padding added, the content type changed). Only the intact response grants; every
 * mutation is a 503 (the authorization server's answer is unusable), never a grant and never
 * anything but a `GuardError`.
 */
import test from 'ava';
import fc from 'fast-check';
import { createGuard, type Guard } from '@resource-guard/core';
import { assertRejection, fuzzParameters } from '../helpers/fuzz.js';
import {
  activeBody, jwtAnswer, optionsFor, signIntrospectionJwt, startEndpoint, type Answer, type Endpoint,
} from '../helpers/introspection.js';
import { startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
let endpoint: Endpoint;
let guard: Guard;
let next: Answer = {};

test.before(async () => {
  issuer = await startMockIssuer('ES256');
  endpoint = await startEndpoint(() => next);
  guard = createGuard({ ...optionsFor(endpoint.url, { jwtResponse: true, cacheTtl: 0 }), issuer: issuer.issuer });
});
test.after.always(async () => {
  await endpoint?.close();
  await issuer?.close();
});

test('fuzz: mutated RFC 9701 responses never grant; the intact one does', async (t) => {
  const mutation = fc.record({
    kind: fc.constantFrom('replace', 'insert', 'delete', 'swap', 'pad', 'content-type', 'none'),
    at: fc.nat(),
    char: fc.constantFrom('A', 'z', '_', '-', '.', '=', ' ', '0'),
    contentType: fc.constantFrom('application/json', 'application/jwt', 'text/plain', 'application/token-introspection+jwt; q=1'),
  });
  let grants = 0;
  let index = 0;
  await fc.assert(fc.asyncProperty(mutation, async ({ kind, at, char, contentType }) => {
    const jwt = await signIntrospectionJwt(issuer, { token_introspection: activeBody({ iss: issuer.issuer }) });
    const position = at % jwt.length;
    let body = jwt;
    let type: string | undefined;
    switch (kind) {
      case 'replace': body = jwt.slice(0, position) + char + jwt.slice(position + 1); break;
      case 'insert': body = jwt.slice(0, position) + char + jwt.slice(position); break;
      case 'delete': body = jwt.slice(0, position) + jwt.slice(position + 1); break;
      case 'swap': {
        const [h, p, s] = jwt.split('.');
        body = `${p}.${h}.${s}`;
        break;
      }
      case 'pad': body = `${jwt}==`; break;
      case 'content-type': type = contentType; break;
      default: break;
    }
    const intact = body === jwt && (type === undefined || type.startsWith('application/token-introspection+jwt'));
    next = type === undefined ? jwtAnswer(body) : jwtAnswer(body, type);
    const token = `opaque-9701-${(index += 1)}-token`;
    try {
      await guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: { authorization: `Bearer ${token}` } });
      if (!intact) throw new Error(`granted on a ${kind} mutation`);
      grants += 1;
    } catch (error) {
      if ((error as Error).message.startsWith('granted')) throw error;
      const rejection = assertRejection(error, [token, jwt]);
      if (intact) throw new Error(`refused the intact response with ${rejection.code}`);
      if (rejection.status !== 503) throw new Error(`a mutated response gave ${rejection.status} ${rejection.code}, not 503`);
    }
  }), fuzzParameters(200));
  t.true(grants > 0, `${grants} intact responses granted`);
});
