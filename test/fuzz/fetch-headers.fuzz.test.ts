/**
 * Property-based fuzzing of the fetch adapter's view of `Headers`, which joins repeated fields
 * with ", ": whatever `Authorization`, `DPoP` and certificate-header fields a client sends (one
 * or several, any scheme), the request is accepted only when it carried exactly the one valid
 * Bearer field, and every rejection is a clean `GuardError` with no token in it.
 */
import test from 'ava';
import fc from 'fast-check';
import { createGuard, type Guard } from '@resource-guard/core';
import { authenticate } from '@resource-guard/fetch';
import { assertRejection, fuzzParameters } from '../helpers/fuzz.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';

let issuer: MockIssuer;
let guard: Guard;
let valid: string;
const URL_ = 'https://api.example.test/orders';

test.before(async () => {
  issuer = await startMockIssuer('ES256');
  guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, logger: { warn() {}, error() {} } });
  valid = await issuer.sign();
  await authenticate(guard, new Request(URL_, { headers: { authorization: `Bearer ${valid}` } })); // keys loaded
});
test.after.always(async () => {
  await issuer?.close();
});

test('fuzz: repeated Authorization fields joined by Headers never let a second credential through', async (t) => {
  const field = fc.oneof(
    fc.constant('Bearer VALID'),
    fc.tuple(fc.constantFrom('Bearer', 'bearer', 'DPoP', 'Basic', 'Digest', 'Negotiate', ''), fc.constantFrom(' ', '  ', ''),
      fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-._~+/=,]{0,30}$/), fc.constantFrom('VALID', 'VALID,x', 'x, Bearer VALID', 'realm="a", nonce="b"')))
      .map(([scheme, gap, value]) => `${scheme}${gap}${value}`),
    fc.string({ maxLength: 30 }),
  );
  let accepted = 0;
  await fc.assert(fc.asyncProperty(fc.array(field, { minLength: 1, maxLength: 3 }), async (fields) => {
    const values = fields.map((value) => value.replaceAll('VALID', valid));
    const headers = new Headers();
    try {
      for (const value of values) headers.append('authorization', value);
    } catch {
      return; // a value Headers itself refuses (control characters) never reaches a handler
    }
    // Headers trims each value: what the client sent as the one valid field may be padded.
    const single = values.length === 1 && values[0]!.trim() === `Bearer ${valid}`;
    try {
      const { auth } = await authenticate(guard, new Request(URL_, { headers }));
      if (!single || auth?.token !== valid) throw new Error(`granted for ${JSON.stringify(fields)}`);
      accepted += 1;
    } catch (error) {
      if ((error as Error).message.startsWith('granted')) throw error;
      if (single) throw new Error(`refused the one valid field: ${(error as { code?: string }).code}`);
      const { code } = assertRejection(error, [valid]);
      // Several fields, one of them ours: refused as several fields, as the Node adapters do.
      const ours = values.length > 1 && values.some((value) => /^(?:bearer|dpop)(?:[ \t]|$)/i.test(value.trim()));
      if (ours && code !== 'ERR_REQUEST_MULTIPLE_AUTHORIZATION') throw new Error(`${code} for ${JSON.stringify(fields)}`);
    }
  }), fuzzParameters(800));
  t.true(accepted > 0, 'some generated requests carry the one valid field');
});
