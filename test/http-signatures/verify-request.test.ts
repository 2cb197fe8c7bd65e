import test, { type ExecutionContext } from 'ava';
import { createGuard, type AuthContext } from '@resource-guard/core';
import {
  createRequestSignatureVerifier, createRequestSigner, HTTP_SIGNATURE_ERROR_CODES, type HttpSignatureErrorCode, type KeySet, type SignedRequest,
} from '@resource-guard/http-signatures';
import { clientKey, signProof } from '../helpers/dpop.js';
import { AUDIENCE, rejectionOf, useMockIssuer } from '../helpers/issuer.js';
import { BODY, keyPair, now, paymentRequest, signByHand, TARGET, withFields } from './signing.js';

const client = keyPair('ES256');
const keys: KeySet = { keys: [client.publicJwk] };
const signer = createRequestSigner({ key: client.privateJwk });
const verifier = createRequestSignatureVerifier({ keys });

async function signed(request: SignedRequest = paymentRequest()): Promise<SignedRequest> {
  return withFields(request, await signer.sign(request));
}

const FAPI = '"@method" "@target-uri" "authorization" "content-digest"';
const input = (components = FAPI, params = `;created=${now()};keyid="client-key-1";tag="fapi-2-request"`) => `sig1=(${components})${params}`;

async function refusal(t: ExecutionContext, request: SignedRequest, code: HttpSignatureErrorCode, status = 401, v = verifier, auth?: AuthContext) {
  const error = await rejectionOf(v.verify(request, auth));
  t.is(error.code, code);
  t.is(error.status, status);
  t.true(Object.hasOwn(HTTP_SIGNATURE_ERROR_CODES, code), 'a registered code');
  return error;
}

test('a FAPI 2.0 signed POST verifies: components, key, algorithm, times', async (t) => {
  const request = await signed();
  t.regex(String(request.headers['content-digest']), /^sha-256=:[A-Za-z0-9+/]+=*:$/);
  const result = await verifier.verify(request);
  t.deepEqual(result.components, ['"@method"', '"@target-uri"', '"authorization"', '"content-digest"']);
  t.is(result.label, 'sig1');
  t.is(result.keyid, 'client-key-1');
  t.is(result.algorithm, 'ES256');
  t.is(result.keySource, 'keys');
  t.is(result.created, Number(/;created=(\d+);/.exec(String(request.headers['signature-input']))![1]));
  t.is(result.expires, undefined);
});

test('a GET without a body needs no content-digest; EdDSA and PS256 keys verify too', async (t) => {
  for (const kind of ['ES256', 'EdDSA', 'PS256'] as const) {
    const pair = keyPair(kind, `k-${kind}`);
    const request = paymentRequest({ method: 'GET', body: undefined });
    const fields = await createRequestSigner({ key: pair.privateJwk, expiresIn: 60 }).sign(request);
    t.is(fields['content-digest'], undefined);
    const result = await createRequestSignatureVerifier({ keys: { keys: [pair.publicJwk] } }).verify(withFields(request, fields));
    t.deepEqual(result.components, ['"@method"', '"@target-uri"', '"authorization"'], kind);
    t.is(result.expires, result.created + 60);
  }
});

test('no signature → 401 ERR_HTTPSIG_MISSING with WWW-Authenticate and an Accept-Signature hint (RFC 9421 §5.1)', async (t) => {
  const error = await refusal(t, paymentRequest(), 'ERR_HTTPSIG_MISSING');
  t.is(error.error, 'invalid_request');
  t.is(error.headers['Accept-Signature'], `sig1=(${FAPI});tag="fapi-2-request"`);
  t.regex(error.headers['WWW-Authenticate']!, /^Bearer error="invalid_request"/);
  const get = await refusal(t, paymentRequest({ method: 'GET', body: undefined, headers: { authorization: 'DPoP x', dpop: 'proof' } }), 'ERR_HTTPSIG_MISSING');
  t.is(get.headers['Accept-Signature'], 'sig1=("@method" "@target-uri" "authorization" "dpop");tag="fapi-2-request"');
  // Only Signature-Input, only Signature: both fields are needed.
  await refusal(t, withFields(paymentRequest(), { 'signature-input': input() }), 'ERR_HTTPSIG_MISSING');
  await refusal(t, withFields(paymentRequest(), { signature: 'sig1=:AA==:' }), 'ERR_HTTPSIG_MISSING');
});

test('malformed structured fields → 400 ERR_HTTPSIG_MALFORMED, nothing of them echoed', async (t) => {
  const good = await signed();
  const cases: Array<Record<string, string>> = [
    { 'signature-input': 'sig1=("@method" "@target-uri"' },
    { 'signature-input': 'sig1="not-a-list"' },
    { 'signature-input': 'sig1=("@method" @target-uri)' },
    { 'signature-input': 'sig1=(1 2)' },
    { signature: 'sig1=:not base64:' },
    { signature: 'sig1="a string"' },
    { signature: 'sig2=:AA==:' },
    { 'signature-input': input(FAPI, ';created="yesterday";tag="fapi-2-request"') },
    { 'signature-input': input(FAPI, `;created=${now()};keyid=7;tag="fapi-2-request"`) },
    { 'signature-input': input(FAPI, `;created=${now()};expires=1.5;tag="fapi-2-request"`) },
    { 'signature-input': input(FAPI, `;created=${now()};alg=ed25519;tag="fapi-2-request"`) },
  ];
  for (const fields of cases) {
    const error = await refusal(t, withFields(good, fields), 'ERR_HTTPSIG_MALFORMED', 400);
    t.is(error.error, 'invalid_request');
    const rendered = JSON.stringify({ message: error.message, headers: error.headers });
    t.false(rendered.includes(String(good.headers.signature).slice(6, 30)), 'no signature bytes in the rejection');
  }
  await refusal(t, withFields(good, { 'content-digest': 'sha-256="text"' }), 'ERR_HTTPSIG_MALFORMED', 400);
});

test('oversized fields → 400 ERR_HTTPSIG_TOO_LARGE before parsing (length, signature count, component count)', async (t) => {
  const good = await signed();
  await refusal(t, withFields(good, { 'signature-input': `${good.headers['signature-input']}${' '.repeat(8200)}` }), 'ERR_HTTPSIG_TOO_LARGE', 400);
  await refusal(t, withFields(good, { signature: `sig1=:${'A'.repeat(9000)}:` }), 'ERR_HTTPSIG_TOO_LARGE', 400);
  const nine = Array.from({ length: 9 }, (_, i) => `s${i}=("@method");created=1`).join(', ');
  await refusal(t, withFields(good, { 'signature-input': nine, signature: Array.from({ length: 9 }, (_, i) => `s${i}=:AA==:`).join(', ') }), 'ERR_HTTPSIG_TOO_LARGE', 400);
  const many = Array.from({ length: 33 }, (_, i) => `"x-${i}"`).join(' ');
  await refusal(t, withFields(good, { 'signature-input': input(many) }), 'ERR_HTTPSIG_TOO_LARGE', 400);
  // The limits are options: a smaller bound refuses what the default accepts.
  const strict = createRequestSignatureVerifier({ keys, limits: { maxFieldLength: 64 } });
  await refusal(t, good, 'ERR_HTTPSIG_TOO_LARGE', 400, strict);
});

test('the signature must carry tag="fapi-2-request", exactly once', async (t) => {
  await refusal(t, signByHand(paymentRequest(), input(FAPI, `;created=${now()};keyid="client-key-1";tag="fapi-2-response"`), client.privateKey), 'ERR_HTTPSIG_TAG_INVALID');
  await refusal(t, signByHand(paymentRequest(), input(FAPI, `;created=${now()};keyid="client-key-1"`), client.privateKey), 'ERR_HTTPSIG_TAG_INVALID');
  const good = await signed();
  const twice = withFields(good, {
    'signature-input': `${good.headers['signature-input']}, ${String(good.headers['signature-input']).replace('sig1', 'sig2')}`,
    signature: `${good.headers.signature}, ${String(good.headers.signature).replace('sig1', 'sig2')}`,
  });
  await refusal(t, twice, 'ERR_HTTPSIG_TAG_INVALID');
  // Another tag next to the FAPI one is ignored, and a configured tag replaces the default.
  const other = await createRequestSigner({ key: client.privateJwk, tag: 'other', label: 'other' }).sign(paymentRequest());
  const both = withFields(good, {
    'signature-input': `${other['signature-input']}, ${good.headers['signature-input']}`,
    signature: `${other.signature}, ${good.headers.signature}`,
  });
  t.is((await verifier.verify(both)).label, 'sig1');
  t.is((await createRequestSignatureVerifier({ keys, tag: 'other' }).verify(both)).label, 'other');
});

test('created: required, at most maxAge (300 s) old, at most clockTolerance (10 s) ahead; expires honoured', async (t) => {
  const at = (seconds: number) => createRequestSignatureVerifier({ keys, clock: () => seconds * 1000 });
  const request = await signed();
  const { created } = await verifier.verify(request);
  await refusal(t, request, 'ERR_HTTPSIG_CREATED_EXPIRED', 401, at(created + 311));
  t.is((await at(created + 310).verify(request)).created, created, 'maxAge + clockTolerance is still accepted');
  await refusal(t, request, 'ERR_HTTPSIG_CREATED_FUTURE', 401, at(created - 11));
  t.is((await at(created - 10).verify(request)).created, created);
  await refusal(t, request, 'ERR_HTTPSIG_CREATED_EXPIRED', 401, createRequestSignatureVerifier({ keys, maxAge: 30, clock: () => (created + 41) * 1000 }));
  await refusal(t, signByHand(paymentRequest(), input(FAPI, ';keyid="client-key-1";tag="fapi-2-request"'), client.privateKey), 'ERR_HTTPSIG_CREATED_MISSING');
  const expiring = signByHand(paymentRequest(), input(FAPI, `;created=${now()};expires=${now() + 5};keyid="client-key-1";tag="fapi-2-request"`), client.privateKey);
  t.is((await verifier.verify(expiring)).keyid, 'client-key-1');
  await refusal(t, expiring, 'ERR_HTTPSIG_EXPIRED', 401, createRequestSignatureVerifier({ keys, clock: () => (now() + 16) * 1000 }));
});

test('every FAPI component must be covered: @method, @target-uri, authorization, dpop when sent, content-digest with a body', async (t) => {
  const request = paymentRequest();
  const digest = (await signer.sign(request))['content-digest']!;
  const withDigest = withFields(request, { 'content-digest': digest });
  for (const missing of ['"@method"', '"@target-uri"', '"authorization"', '"content-digest"']) {
    const components = FAPI.replace(missing, '').trim().replace(/ {2}/, ' ');
    const error = await refusal(t, signByHand(withDigest, input(components), client.privateKey), 'ERR_HTTPSIG_COMPONENT_MISSING');
    t.regex(error.detail!, new RegExp(missing.replace('@', '@')));
  }
  // A DPoP field must be covered when the request has one.
  const dpop = withFields(withDigest, { dpop: 'a.b.c' });
  await refusal(t, signByHand(dpop, input(), client.privateKey), 'ERR_HTTPSIG_COMPONENT_MISSING');
  t.is((await verifier.verify(signByHand(dpop, input(`${FAPI} "dpop"`), client.privateKey))).keyid, 'client-key-1');
  // `;req` or other parameters do not stand for the plain component.
  await refusal(t, withFields(await signed(), { 'signature-input': input(FAPI.replace('"@method"', '"@method";req')) }), 'ERR_HTTPSIG_COMPONENT_MISSING');
  // A body without any Content-Digest field.
  await refusal(t, withFields({ ...request, headers: { ...request.headers } }, { 'signature-input': input(), signature: 'sig1=:AA==:' }), 'ERR_HTTPSIG_COMPONENT_MISSING');
  // Configured extra components.
  const strict = createRequestSignatureVerifier({ keys, requiredComponents: ['content-type'] });
  await refusal(t, await signed(), 'ERR_HTTPSIG_COMPONENT_MISSING', 401, strict);
  t.is((await strict.verify(signByHand(withDigest, input(`${FAPI} "content-type"`), client.privateKey))).keyid, 'client-key-1');
});

test('a covered component the request does not have, or with parameters that do not apply → ERR_HTTPSIG_COMPONENT_INVALID', async (t) => {
  const request = await signed();
  const fields = (components: string) => withFields(request, { 'signature-input': input(components) });
  await refusal(t, fields(`${FAPI} "x-absent"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "@status"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "@unknown"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "content-type";tr`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "content-type";sf`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "content-digest";sf;bs`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "content-digest";key="sha-512"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "Content-Type"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "@method"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "@query-param"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "@query-param";name="absent"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
  await refusal(t, fields(`${FAPI} "@signature-params"`), 'ERR_HTTPSIG_COMPONENT_INVALID');
});

test('content-digest (RFC 9530) is checked against the raw body: a changed body or digest is refused', async (t) => {
  const request = await signed();
  await refusal(t, { ...request, body: new TextEncoder().encode('{"amount": "99.00"}') }, 'ERR_HTTPSIG_DIGEST_MISMATCH');
  await refusal(t, { ...request, body: new Uint8Array([...BODY, 0x20]) }, 'ERR_HTTPSIG_DIGEST_MISMATCH');
  await refusal(t, withFields(request, { 'content-digest': 'md5=:AAAAAAAAAAAAAAAAAAAAAA==:' }), 'ERR_HTTPSIG_DIGEST_UNSUPPORTED');
  // A sha-512 member that does not match refuses even next to a matching sha-256 one.
  await refusal(t, withFields(request, { 'content-digest': `${request.headers['content-digest']}, sha-512=:AAAA:` }), 'ERR_HTTPSIG_DIGEST_MISMATCH');
  // A body-less request that carries a Content-Digest must carry the empty body's digest.
  await refusal(t, { ...request, body: undefined }, 'ERR_HTTPSIG_DIGEST_MISMATCH');
});

test('the key comes from the key set by keyid: unknown keyid, another key, an altered request → refused', async (t) => {
  await refusal(t, signByHand(paymentRequest(), input(FAPI, `;created=${now()};keyid="nobody";tag="fapi-2-request"`), client.privateKey), 'ERR_HTTPSIG_KEY_UNKNOWN');
  const other = keyPair('ES256', 'client-key-1');
  const forged = withFields(paymentRequest(), await createRequestSigner({ key: other.privateJwk }).sign(paymentRequest()));
  const error = await refusal(t, forged, 'ERR_HTTPSIG_SIGNATURE_INVALID');
  t.false(JSON.stringify(error.headers).includes(String(forged.headers.signature).slice(6, 40)));
  const request = await signed();
  await refusal(t, { ...request, method: 'PUT' }, 'ERR_HTTPSIG_SIGNATURE_INVALID');
  await refusal(t, { ...request, url: `${TARGET}&currency=USD` }, 'ERR_HTTPSIG_SIGNATURE_INVALID');
  await refusal(t, withFields(request, { authorization: 'Bearer another-token' }), 'ERR_HTTPSIG_SIGNATURE_INVALID');
  // Two keys of the set with the signature's keyid, or no keyid with several keys: no guess.
  await refusal(t, request, 'ERR_HTTPSIG_KEY_UNKNOWN', 401, createRequestSignatureVerifier({ keys: { keys: [client.publicJwk, other.publicJwk] } }));
  const noKeyid = signByHand(paymentRequest(), input(FAPI, `;created=${now()};tag="fapi-2-request"`), client.privateKey);
  t.is((await verifier.verify(noKeyid)).keyid, undefined, 'a set of one key serves a signature without keyid');
  await refusal(t, noKeyid, 'ERR_HTTPSIG_KEY_UNKNOWN', 401, createRequestSignatureVerifier({ keys: { keys: [client.publicJwk, keyPair('ES256', 'k2').publicJwk] } }));
});

test('the algorithm is the key\'s, never the alg parameter\'s: a different alg is refused, keys outside the allow-list are unusable', async (t) => {
  const withDigest = paymentRequest();
  await refusal(t, signByHand(withDigest, input(FAPI, `;created=${now()};keyid="client-key-1";alg="rsa-pss-sha512";tag="fapi-2-request"`), client.privateKey), 'ERR_HTTPSIG_ALG_MISMATCH');
  await refusal(t, signByHand(withDigest, input(FAPI, `;created=${now()};keyid="client-key-1";alg="hmac-sha256";tag="fapi-2-request"`), client.privateKey), 'ERR_HTTPSIG_ALG_MISMATCH');
  t.is((await verifier.verify(signByHand(withDigest, input(FAPI, `;created=${now()};keyid="client-key-1";alg="ecdsa-p256-sha256";tag="fapi-2-request"`), client.privateKey))).algorithm, 'ES256');
  // An HMAC secret or an RS256 key in the set is not usable under the default (FAPI) algorithms.
  const hmac = { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg', kid: 'client-key-1' };
  await refusal(t, await signed(), 'ERR_HTTPSIG_KEY_UNUSABLE', 401, createRequestSignatureVerifier({ keys: { keys: [hmac] } }));
  await refusal(t, await signed(), 'ERR_HTTPSIG_KEY_UNUSABLE', 401, createRequestSignatureVerifier({ keys: { keys: [{ ...client.publicJwk, alg: 'RS256' }] } }));
  await refusal(t, await signed(), 'ERR_HTTPSIG_KEY_UNUSABLE', 401, createRequestSignatureVerifier({ keys: { keys: [{ ...client.publicJwk, use: 'enc' }] } }));
  await refusal(t, await signed(), 'ERR_HTTPSIG_KEY_UNUSABLE', 401, createRequestSignatureVerifier({ keys: { keys: [{ ...client.publicJwk, key_ops: ['sign'] }] } }));
  await refusal(t, await signed(), 'ERR_HTTPSIG_KEY_UNUSABLE', 401, createRequestSignatureVerifier({ keys: { keys: [{ ...client.publicJwk, crv: 'P-384' }] } }));
  const small = keyPair('RS256-1024');
  await refusal(t, await signed(), 'ERR_HTTPSIG_KEY_UNUSABLE', 401, createRequestSignatureVerifier({ keys: { keys: [{ ...small.publicJwk, kid: 'client-key-1' }] } }));
  // A key WebCrypto cannot import verifies nothing.
  await refusal(t, await signed(), 'ERR_HTTPSIG_SIGNATURE_INVALID', 401, createRequestSignatureVerifier({ keys: { keys: [{ ...client.publicJwk, x: 'AAAA' }] } }));
});

test('a keys function gets the token\'s context; when it fails → 503 ERR_HTTPSIG_KEYS_UNAVAILABLE, never a pass', async (t) => {
  const seen: Array<AuthContext | undefined> = [];
  const perClient = createRequestSignatureVerifier({ keys: (auth) => { seen.push(auth); return keys; } });
  t.is((await perClient.verify(await signed())).keyid, 'client-key-1');
  t.deepEqual(seen, [undefined]);
  const error = await refusal(t, await signed(), 'ERR_HTTPSIG_KEYS_UNAVAILABLE', 503, createRequestSignatureVerifier({ keys: async () => { throw new Error('registry down'); } }));
  t.is(error.headers['Retry-After'], '5');
  await refusal(t, await signed(), 'ERR_HTTPSIG_KEY_UNKNOWN', 401, createRequestSignatureVerifier({ keys: () => undefined }));
});

const issuer = useMockIssuer(test);

test('the token\'s cnf.jwk verifies without a key set; cnf.jkt uses the DPoP proof\'s key', async (t) => {
  const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, dpop: { required: false } });
  const token = await issuer.sign({ cnf: { jwk: client.publicJwk } });
  const request = await signed(paymentRequest({ headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }));
  const auth = await guard.verify({ method: request.method, url: request.url, headers: request.headers as Record<string, string> });
  const byToken = createRequestSignatureVerifier();
  const result = await byToken.verify(request, auth);
  t.is(result.keySource, 'confirmation');
  // Without the token's context there is no key; with another client's cnf.jwk the signature fails.
  await refusal(t, request, 'ERR_HTTPSIG_KEY_UNKNOWN', 401, byToken);
  const otherToken = await issuer.sign({ cnf: { jwk: keyPair('ES256', 'client-key-1').publicJwk } });
  const otherAuth = await guard.verify({ method: 'GET', url: TARGET, headers: { authorization: `Bearer ${otherToken}` } });
  await refusal(t, request, 'ERR_HTTPSIG_SIGNATURE_INVALID', 401, byToken, otherAuth);
  // confirmationKey: false ignores cnf.
  await refusal(t, request, 'ERR_HTTPSIG_KEY_UNKNOWN', 401, createRequestSignatureVerifier({ keys: { keys: [] }, confirmationKey: false }), auth);

  // DPoP: the proof's key, matched to cnf.jkt by the guard, signs the request.
  const dpopKey = await clientKey('ES256');
  const bound = await issuer.sign({ cnf: { jkt: dpopKey.jkt } });
  const proof = await signProof(dpopKey, bound, TARGET, 'POST');
  const dpopRequest = paymentRequest({ headers: { authorization: `DPoP ${bound}`, dpop: proof, 'content-type': 'application/json' } });
  const dpopAuth = await guard.verify({ method: 'POST', url: TARGET, headers: dpopRequest.headers as Record<string, string> });
  const dpopSigned = withFields(dpopRequest, await createRequestSigner({ key: dpopKey.privateKey.export({ format: 'jwk' }) }).sign(dpopRequest));
  const dpopResult = await byToken.verify(dpopSigned, dpopAuth);
  t.is(dpopResult.keySource, 'confirmation');
  t.true(dpopResult.components.includes('"dpop"'));
  // A signature by the client's registered key (not the DPoP key) still verifies through the key set.
  const both = createRequestSignatureVerifier({ keys });
  const registered = withFields(dpopRequest, await signer.sign(dpopRequest));
  t.is((await both.verify(registered, dpopAuth)).keySource, 'keys');
  // A DPoP field that is not the proof of cnf.jkt gives no key.
  const refusedDpop = await refusal(t, withFields(dpopSigned, { dpop: 'e30.e30.sig' }), 'ERR_HTTPSIG_KEY_UNKNOWN', 401, byToken, dpopAuth);
  t.regex(refusedDpop.headers['WWW-Authenticate']!, /^DPoP error="invalid_request"/);
  await refusal(t, withFields(dpopSigned, { dpop: '%%%.e30.sig' }), 'ERR_HTTPSIG_KEY_UNKNOWN', 401, byToken, dpopAuth);
  await refusal(t, withFields(dpopSigned, { dpop: 'bnVsbA.e30.sig' }), 'ERR_HTTPSIG_KEY_UNKNOWN', 401, byToken, dpopAuth);
  await refusal(t, withFields(dpopSigned, { dpop: `${Buffer.from('{"jwk":null}').toString('base64url')}.e30.sig` }), 'ERR_HTTPSIG_KEY_UNKNOWN', 401, byToken, dpopAuth);
  // cnf.jkt with two DPoP fields, or a cnf with neither jwk nor jkt: no confirmation key.
  const twoProofs = { ...dpopSigned, headers: { ...dpopSigned.headers, dpop: [proof, proof] } };
  await refusal(t, twoProofs, 'ERR_HTTPSIG_KEY_UNKNOWN', 401, byToken, dpopAuth);
  const other = await issuer.sign({ cnf: { jwk: null, kid: 'a-confirmation-member-this-package-does-not-use' } });
  const otherCnf = await guard.verify({ method: 'GET', url: TARGET, headers: { authorization: `Bearer ${other}` } });
  t.truthy(otherCnf.confirmation);
  await refusal(t, request, 'ERR_HTTPSIG_KEY_UNKNOWN', 401, byToken, otherCnf);
});

test('options are checked at start-up: unknown names, bad values, no possible key', (t) => {
  t.throws(() => createRequestSignatureVerifier({ keys, maxAgee: 1 } as never), { instanceOf: TypeError, message: /maxAgee/ });
  t.throws(() => createRequestSignatureVerifier({ keys: [] as never }), { instanceOf: TypeError, message: /keys/ });
  t.throws(() => createRequestSignatureVerifier({ algorithms: ['none'] as never }), { instanceOf: TypeError, message: /algorithms/ });
  t.throws(() => createRequestSignatureVerifier({ algorithms: [] }), { instanceOf: TypeError, message: /algorithms/ });
  t.throws(() => createRequestSignatureVerifier({ confirmationKey: false }), { instanceOf: TypeError, message: /keys/ });
  t.throws(() => createRequestSignatureVerifier({ confirmationKey: 'yes' as never }), { instanceOf: TypeError, message: /confirmationKey/ });
  t.throws(() => createRequestSignatureVerifier({ tag: '' }), { instanceOf: TypeError, message: /tag/ });
  t.throws(() => createRequestSignatureVerifier({ maxAge: -1 }), { instanceOf: TypeError, message: /maxAge/ });
  t.throws(() => createRequestSignatureVerifier({ requiredComponents: ['Content-Type'] }), { instanceOf: TypeError, message: /requiredComponents/ });
  t.throws(() => createRequestSignatureVerifier({ limits: { maxFields: 1 } as never }), { instanceOf: TypeError, message: /limits\.maxFields/ });
  t.throws(() => createRequestSignatureVerifier({ limits: { maxSignatures: 0 } }), { instanceOf: TypeError, message: /maxSignatures/ });
  t.throws(() => createRequestSignatureVerifier({ clock: 5 as never }), { instanceOf: TypeError, message: /clock/ });
});
