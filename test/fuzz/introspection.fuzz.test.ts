/**
 * Property-based fuzzing of RFC 7662 introspection answers, served by a real loopback endpoint:
 * whatever JSON (or non-JSON) the authorization server returns, the guard grants only on a JSON
 * `active: true` whose local checks pass, answers 401 or 503 otherwise, and never lets anything
 * but a `GuardError` escape.
 */
import test from 'ava';
import fc from 'fast-check';
import { createGuard, type Guard } from '@resource-guard/core';
import { assertRejection, fuzzParameters } from '../helpers/fuzz.js';
import { AUDIENCE, startEndpoint, type Answer, type Endpoint } from '../helpers/introspection.js';

let endpoint: Endpoint;
let guard: Guard;
let next: Answer = {};
const NOW = Math.floor(Date.now() / 1000);

test.before(async () => {
  endpoint = await startEndpoint(() => next);
  guard = createGuard({
    issuer: 'https://as.example.test', audience: AUDIENCE, logger: { warn() {}, error() {} }, clock: () => NOW * 1000,
    introspection: { endpoint: endpoint.url, clientId: 'rs', clientSecret: 'rs-secret', cacheTtl: 0 },
  });
});
test.after.always(async () => {
  await endpoint?.close();
});

/** What a correct guard must conclude from an answer body, by RFC 7662 §2.2 and the local checks. */
function grantable(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const answer = body as Record<string, unknown>;
  if (answer.active !== true) return false;
  const { exp, aud, iss } = answer;
  if (exp !== undefined && (typeof exp !== 'number' || exp <= NOW - 5)) return false;
  // An answer without aud cannot show the token is meant for this resource.
  if (!(aud === AUDIENCE || (Array.isArray(aud) && aud.every((item) => typeof item === 'string') && aud.includes(AUDIENCE)))) return false;
  if (iss !== undefined && iss !== 'https://as.example.test') return false;
  // RFC 7662 §2.2 member types.
  for (const name of ['sub', 'client_id', 'jti', 'scope', 'username', 'token_type']) {
    if (answer[name] !== undefined && typeof answer[name] !== 'string') return false;
  }
  for (const name of ['nbf', 'iat']) {
    const value = answer[name];
    if (value !== undefined && (typeof value !== 'number' || value > NOW + 5)) return false;
  }
  // What only ID tokens carry (the fuzzed `extra` member never has these names).
  if (['nonce', 'at_hash', 'c_hash', 's_hash'].some((name) => answer[name] !== undefined)) return false;
  // A DPoP-bound answer sent as Bearer is a downgrade (RFC 9449 §7.1).
  if (typeof answer.token_type === 'string' && answer.token_type.toLowerCase() === 'dpop') return false;
  return true;
}

test('fuzz: introspection answers — only a JSON active:true that passes the local checks grants', async (t) => {
  const member = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
  const body = fc.record({
    active: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constantFrom(false, 'true', 1, null, undefined) }),
    exp: fc.oneof(fc.constant(undefined), fc.integer({ min: NOW - 100, max: NOW + 100 }), member),
    aud: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 4, arbitrary: fc.constantFrom(AUDIENCE, [AUDIENCE, 'x']) }, { weight: 1, arbitrary: member }),
    iss: fc.oneof(fc.constant(undefined), fc.constant('https://as.example.test'), member),
    scope: fc.oneof(fc.constant('a b'), member),
    token_type: fc.oneof(fc.constant('Bearer'), member),
    extra: member,
  }, { requiredKeys: [] });
  const answer = fc.oneof(
    { weight: 6, arbitrary: body.map((value): Answer => ({ body: value })) },
    { weight: 1, arbitrary: fc.jsonValue().map((value): Answer => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } })) },
    { weight: 1, arbitrary: fc.string().map((value): Answer => ({ body: value, headers: { 'content-type': 'application/json' } })) },
    { weight: 1, arbitrary: fc.constantFrom(500, 502, 400, 401, 302).map((status): Answer => ({ status, body: '' })) },
  );
  let grants = 0;
  let index = 0;
  await fc.assert(fc.asyncProperty(answer, async (value) => {
    next = value;
    const token = `opaque-fuzz-${(index += 1)}-token`;
    const parsedBody = typeof value.body === 'string' ? safeParse(value.body) : value.body;
    const expected = (value.status ?? 200) === 200 && grantable(parsedBody);
    try {
      await guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: { authorization: `Bearer ${token}` } });
      if (!expected) throw new Error(`granted on ${JSON.stringify(value)}`);
      grants += 1;
    } catch (error) {
      if ((error as Error).message.startsWith('granted')) throw error;
      const rejection = assertRejection(error, [token], true);
      // A server-side misconfiguration (our credentials refused) is the only 500.
      if (rejection.status === 500 && rejection.code !== 'ERR_INTROSPECTION_CLIENT_REJECTED') throw new Error(`500 ${rejection.code}`);
      if (expected) throw new Error(`refused a grantable answer with ${rejection.code}: ${JSON.stringify(value)}`);
    }
  }), fuzzParameters(300));
  t.true(grants > 10, `${grants} answers granted`);
});

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
