import { createHmac, createPrivateKey, sign } from 'node:crypto';
import test from 'ava';
import { createSignatureBase, parseMessageSignatures } from '@resource-guard/http-signatures';
import { TEST_KEY_ED25519, TEST_SHARED_SECRET } from './rfc9421-keys.js';
import { EXAMPLE_REQUEST, EXAMPLE_RESPONSE, VECTORS } from './rfc9421-vectors.js';

for (const vector of VECTORS) {
  test(`RFC 9421 ${vector.section}: the signature base is byte-exact and the RFC's signature verifies over it`, (t) => {
    const headers = { 'signature-input': vector.input, signature: vector.signature };
    const [entry] = parseMessageSignatures(headers);
    const message = vector.response === true
      ? { request: EXAMPLE_REQUEST, response: EXAMPLE_RESPONSE }
      : { request: EXAMPLE_REQUEST };
    const base = createSignatureBase(entry!.input, message);
    t.is(base, vector.base);
    t.true(vector.verifies(base, Buffer.from(entry!.signature)));
    // One byte more or less and the RFC's signature no longer verifies: the check above can fail.
    t.false(vector.verifies(`${base} `, Buffer.from(entry!.signature)));
  });
}

test('RFC 9421 B.2.6 and B.2.5: the deterministic algorithms reproduce the RFC\'s signatures byte for byte', (t) => {
  const ed = VECTORS.find((v) => v.section.startsWith('B.2.6'))!;
  t.is(`sig-b26=:${sign(null, Buffer.from(ed.base), createPrivateKey(TEST_KEY_ED25519)).toString('base64')}:`, ed.signature);
  const hmac = VECTORS.find((v) => v.section.startsWith('B.2.5'))!;
  t.is(`sig-b25=:${createHmac('sha256', Buffer.from(TEST_SHARED_SECRET, 'base64')).update(hmac.base).digest('base64')}:`, hmac.signature);
});
