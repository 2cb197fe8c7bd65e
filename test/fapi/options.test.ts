/**
 * The FAPI 2.0 preset at start-up: the option's own forms, the defaults it sets, and a
 * `TypeError` naming the option and the FAPI 2.0 Security Profile clause for every option that
 * contradicts it.
 */
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';

const base: GuardOptions = { issuer: 'https://as.example.test', audience: 'https://api.example.test', jwksUri: 'https://as.example.test/jwks' };
const fapi = (options: Partial<GuardOptions> & Record<string, unknown> = {}) => () => createGuard({ ...base, fapi: '2.0', ...options } as GuardOptions);

test('fapi: "2.0" and { version: "2.0" } are accepted; other values are refused', (t) => {
  t.notThrows(fapi());
  t.notThrows(fapi({ fapi: { version: '2.0' } }));
  for (const value of ['1.0', '2', 2, true, null, { version: '1.0' }, {}]) {
    t.throws(fapi({ fapi: value as never }), { instanceOf: TypeError, message: /"fapi" must be "2\.0"/ }, JSON.stringify(value));
  }
  t.throws(fapi({ fapi: { version: '2.0', messageSigning: true } as never }), { instanceOf: TypeError, message: /fapi\.messageSigning/ });
});

const contradictions: ReadonlyArray<[string, Partial<GuardOptions> & Record<string, unknown>, RegExp]> = [
  ['tokens in the query', { tokenLocations: ['header', 'query'] }, /"tokenLocations" with "query".*§5\.3\.4-1, §5\.3\.4-2/],
  ['tokens in the form body', { tokenLocations: ['header', 'body'] }, /"tokenLocations" with "body".*§5\.3\.4-1/],
  ['an HS* secret', { secret: 'a-shared-secret-of-at-least-32-bytes!!', algorithms: ['HS256'] }, /"secret".*§5\.4\.1-1/],
  ['RS256', { algorithms: ['PS256', 'RS256'] }, /"algorithms" with "RS256".*§5\.4\.1-1/],
  ['ES384', { algorithms: ['ES384'] }, /"algorithms" with "ES384".*§5\.4\.1-1/],
  ['PS512', { algorithms: ['PS512'] }, /"algorithms" with "PS512"/],
  ['DPoP RS256 proofs', { dpop: { algorithms: ['ES256', 'RS256'] } }, /"dpop\.algorithms" with "RS256".*§5\.4\.1-1/],
  ['no sender constraint at all', { dpop: false, mtls: false }, /"dpop: false" with "mtls: false".*§5\.3\.4-5/],
  ['DPoP optional with a bearer fallback', { dpop: { required: false } }, /"dpop\.required: false".*§5\.3\.4-5/],
  ['mTLS optional with a bearer fallback', { mtls: { required: false } }, /"mtls\.required: false".*§5\.3\.4-5/],
  ['a wide access-token clock tolerance', { clockTolerance: 61 }, /"clockTolerance: 61".*§5\.3\.2\.1-13/],
  ['a DPoP clock tolerance under 10 s', { dpop: { clockTolerance: 5 } }, /"dpop\.clockTolerance: 5".*§5\.3\.2\.1-13/],
  ['a DPoP clock tolerance over 60 s', { dpop: { clockTolerance: 61 } }, /"dpop\.clockTolerance: 61".*§5\.3\.2\.1-13/],
  ['a DPoP proof age over 300 s', { dpop: { proofMaxAge: 301 } }, /"dpop\.proofMaxAge: 301"/],
  ['plain-http authorization servers', { allowInsecureRequests: true }, /"allowInsecureRequests: true".*§5\.2\.1-1/],
];

for (const [title, options, message] of contradictions) {
  test(`start-up refusal: ${title}`, (t) => {
    t.throws(fapi(options), { instanceOf: TypeError, message });
    // The same options are fine without the preset (the preset is what refuses them).
    t.notThrows(() => createGuard({ ...base, ...options } as GuardOptions));
  });
}

test('settings inside the FAPI limits are accepted', (t) => {
  t.notThrows(fapi({ algorithms: ['PS256'], dpop: { algorithms: ['ES256'], clockTolerance: 10, proofMaxAge: 60 } }));
  t.notThrows(fapi({ dpop: { clockTolerance: 60, required: true }, clockTolerance: 60 }));
  t.notThrows(fapi({ dpop: false }), 'mTLS alone');
  t.notThrows(fapi({ mtls: false }), 'DPoP alone');
  t.notThrows(fapi({ mtls: { required: true } }));
  t.notThrows(fapi({ tokenLocations: ['header'] }));
});

test('the preset\'s defaults: FAPI algorithms for tokens and DPoP proofs', async (t) => {
  const guard = createGuard({ ...base, fapi: '2.0', logger: { warn() {}, error() {} }, logRejections: false });
  const error = await t.throwsAsync(guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: {} }));
  // The challenge advertises the FAPI proof algorithms only, ES256 first.
  t.regex((error as unknown as { headers: Record<string, string> }).headers['WWW-Authenticate']!, /DPoP realm="https:\/\/api\.example\.test", algs="ES256 PS256 EdDSA Ed25519"/);
  t.regex((error as unknown as { headers: Record<string, string> }).headers['WWW-Authenticate']!, /^Bearer /, 'Bearer stays for certificate-bound tokens');
});

test('with mTLS off, the preset advertises the DPoP scheme only (no Bearer token can pass)', async (t) => {
  const guard = createGuard({ ...base, fapi: '2.0', mtls: false, logRejections: false });
  const error = await t.throwsAsync(guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: {} }));
  t.regex((error as unknown as { headers: Record<string, string> }).headers['WWW-Authenticate']!, /^DPoP realm=/);
});
