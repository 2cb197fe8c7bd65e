import test from 'ava';
import {
  createRequestSignatureVerifier, createRequestSigner, createResponseSignatureVerifier, createResponseSigner,
  type SignableResponse, type SignedRequest,
} from '@resource-guard/http-signatures';
import { rejectionOf } from '../helpers/issuer.js';
import { keyPair, now, paymentRequest, withFields } from './signing.js';

const client = keyPair('ES256', 'client-key');
const server = keyPair('PS256', 'server-key');
const requestSigner = createRequestSigner({ key: client.privateJwk });
const requestVerifier = createRequestSignatureVerifier({ keys: { keys: [client.publicJwk] } });
const responseSigner = createResponseSigner({ key: server.privateJwk });
const responseVerifier = createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] } });
const BODY = new TextEncoder().encode('{"status": "accepted"}');

async function exchange(request: SignedRequest = paymentRequest(), body: Uint8Array | null = BODY) {
  const signedRequest = withFields(request, await requestSigner.sign(request));
  const verified = await requestVerifier.verify(signedRequest);
  const unsigned: SignableResponse = { status: 201, headers: { 'content-type': 'application/json' }, body: body ?? undefined };
  const fields = await responseSigner.sign(unsigned, signedRequest, verified);
  const response: SignableResponse = { ...unsigned, headers: { ...unsigned.headers, ...fields } };
  return { signedRequest, verified, fields, response };
}

test('a response signature covers the request through ;req components and its own @status and content-digest (FAPI 2.0 Message Signing §5.6)', async (t) => {
  const { fields, response, signedRequest } = await exchange();
  t.regex(fields['content-digest']!, /^sha-256=:/);
  t.regex(fields['signature-input'], new RegExp(
    '^sig1=\\("@method";req "@target-uri";req "authorization";req "content-digest";req "signature";req;key="sig1" "@status" "content-digest"\\)'
    + `;created=\\d+;keyid="server-key";tag="fapi-2-response"$`,
  ));
  const result = await responseVerifier.verify(response, signedRequest);
  t.is(result.keyid, 'server-key');
  t.is(result.created, Number(/;created=(\d+);/.exec(fields['signature-input'])![1]));
  t.true(result.components.includes('"signature";req;key="sig1"'));
});

test('a response without a body has no content-digest; a GET request has none to bind; a DPoP field is bound', async (t) => {
  const request = paymentRequest({ method: 'GET', body: undefined, headers: { authorization: 'DPoP t', dpop: 'a.b.c' } });
  const { fields, response, signedRequest } = await exchange(request, null);
  t.is(fields['content-digest'], undefined);
  t.regex(fields['signature-input'], /^sig1=\("@method";req "@target-uri";req "authorization";req "dpop";req "signature";req;key="sig1" "@status"\);/);
  t.is((await responseVerifier.verify(response, signedRequest)).label, 'sig1');
  // Without the verified request signature, the response binds the request's components only.
  const plain = await responseSigner.sign({ status: 204, headers: {} }, signedRequest);
  t.false(plain['signature-input'].includes('"signature";req'));
  t.is((await responseVerifier.verify({ status: 204, headers: plain }, signedRequest)).keyid, 'server-key');
});

test('the client refuses a response that does not match: status, body, request, tag, key', async (t) => {
  const { response, signedRequest } = await exchange();
  const codeOf = async (r: SignableResponse, request = signedRequest, verifier = responseVerifier) => (await rejectionOf(verifier.verify(r, request))).code;
  t.is(await codeOf({ ...response, status: 200 }), 'ERR_HTTPSIG_SIGNATURE_INVALID');
  t.is(await codeOf({ ...response, body: new TextEncoder().encode('{"status": "rejected"}') }), 'ERR_HTTPSIG_DIGEST_MISMATCH');
  t.is(await codeOf(response, { ...signedRequest, url: `${signedRequest.url}&x=1` }), 'ERR_HTTPSIG_SIGNATURE_INVALID');
  // Another request's signature (another signed request to the same URL): the binding fails.
  const { signedRequest: other } = await exchange();
  t.is(await codeOf(response, withFields(signedRequest, { signature: other.headers.signature as string })), 'ERR_HTTPSIG_SIGNATURE_INVALID');
  t.is(await codeOf(response, signedRequest, createResponseSignatureVerifier({ keys: { keys: [keyPair('PS256', 'server-key').publicJwk] } })), 'ERR_HTTPSIG_SIGNATURE_INVALID');
  t.is(await codeOf(response, signedRequest, createResponseSignatureVerifier({ keys: { keys: [{ ...server.publicJwk, kid: 'other' }] } })), 'ERR_HTTPSIG_KEY_UNKNOWN');
  t.is(await codeOf(response, signedRequest, createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] }, algorithms: ['ES256'] })), 'ERR_HTTPSIG_KEY_UNUSABLE');
  t.is(await codeOf(response, signedRequest, createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] }, tag: 'other' })), 'ERR_HTTPSIG_TAG_INVALID');
  // A request signature presented as a response signature: the tag refuses it.
  t.is(await codeOf({ ...response, headers: { ...response.headers, 'signature-input': signedRequest.headers['signature-input'], signature: signedRequest.headers.signature } }), 'ERR_HTTPSIG_TAG_INVALID');
  // Too old for the client's window.
  t.is(await codeOf(response, signedRequest, createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] }, clock: () => (now() + 400) * 1000 })), 'ERR_HTTPSIG_CREATED_EXPIRED');
  // A response signature that leaves out @status.
  const partial = await createResponseSigner({ key: server.privateJwk }).sign({ status: 201, headers: {} }, signedRequest);
  const stripped = partial['signature-input'].replace(' "@status"', '');
  t.is(await codeOf({ status: 201, headers: { ...partial, 'signature-input': stripped } }), 'ERR_HTTPSIG_COMPONENT_MISSING');
  // A response with a body whose signature does not cover content-digest.
  t.is(await codeOf({ status: 201, headers: partial, body: BODY }), 'ERR_HTTPSIG_COMPONENT_MISSING');
  // The client requires what it asks for.
  t.is(await codeOf(response, signedRequest, createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] }, requiredComponents: ['content-type'] })), 'ERR_HTTPSIG_COMPONENT_MISSING');
});

test('a key set without keyid match, or a signature without keyid and several keys, is no key', async (t) => {
  const { signedRequest } = await exchange();
  const noKeyid = createResponseSigner({ key: { ...server.privateJwk, kid: undefined } });
  const fields = await noKeyid.sign({ status: 200, headers: {} }, signedRequest);
  t.false(fields['signature-input'].includes('keyid'));
  const single = createResponseSignatureVerifier({ keys: { keys: [server.publicJwk] } });
  t.is((await single.verify({ status: 200, headers: fields }, signedRequest)).keyid, undefined);
  const two = createResponseSignatureVerifier({ keys: { keys: [server.publicJwk, keyPair('PS256', 'b').publicJwk] } });
  t.is((await rejectionOf(two.verify({ status: 200, headers: fields }, signedRequest))).code, 'ERR_HTTPSIG_KEY_UNKNOWN');
});

test('signer options: label, tag, keyid, sha-512 digests, expires; bad options throw a TypeError naming them', async (t) => {
  const signer = createResponseSigner({ key: server.privateJwk, label: 'res', keyid: 'kid-2', digestAlgorithm: 'sha-512', expiresIn: 30, tag: 'custom' });
  const { signedRequest } = await exchange();
  const fields = await signer.sign({ status: 200, headers: {}, body: BODY }, signedRequest);
  t.regex(fields['content-digest']!, /^sha-512=:/);
  t.regex(fields['signature-input'], /^res=\(.*\);created=(\d+);expires=\d+;keyid="kid-2";tag="custom"$/);
  const [, created] = /created=(\d+)/.exec(fields['signature-input'])!;
  t.true(fields['signature-input'].includes(`expires=${Number(created) + 30}`));
  t.true(fields.signature.startsWith('res=:'));
  const verifier = createResponseSignatureVerifier({ keys: { keys: [{ ...server.publicJwk, kid: 'kid-2' }] }, tag: 'custom' });
  t.is((await verifier.verify({ status: 200, headers: fields, body: BODY }, signedRequest)).label, 'res');

  t.throws(() => createResponseSigner({ key: server.privateJwk, lable: 'x' } as never), { instanceOf: TypeError, message: /lable/ });
  t.throws(() => createResponseSigner(undefined as never), { instanceOf: TypeError, message: /key/ });
  t.throws(() => createResponseSigner({ key: server.privateJwk, label: 'Sig' }), { instanceOf: TypeError, message: /label/ });
  t.throws(() => createResponseSigner({ key: server.privateJwk, tag: '' }), { instanceOf: TypeError, message: /tag/ });
  t.throws(() => createResponseSigner({ key: server.privateJwk, digestAlgorithm: 'md5' as never }), { instanceOf: TypeError, message: /digestAlgorithm/ });
  t.throws(() => createResponseSigner({ key: server.privateJwk, expiresIn: 0 }), { instanceOf: TypeError, message: /expiresIn/ });
  t.throws(() => createResponseSigner({ key: server.privateJwk, clock: 1 as never }), { instanceOf: TypeError, message: /clock/ });
  t.throws(() => createResponseSigner({ key: { ...server.privateJwk, alg: 'RS256' } }), { instanceOf: TypeError, message: /key/ });
  t.throws(() => createResponseSigner({ key: null as never }), { instanceOf: TypeError, message: /key/ });
  t.throws(() => createResponseSignatureVerifier({} as never), { instanceOf: TypeError, message: /keys/ });
  t.throws(() => createResponseSignatureVerifier(undefined as never), { instanceOf: TypeError, message: /keys/ });
  // A public key cannot sign: refused at start-up, not at the first response.
  t.throws(() => createResponseSigner({ key: server.publicJwk }), { instanceOf: TypeError, message: /private/ });
  t.throws(() => createResponseSigner({ key: { kty: 'oct', alg: 'HS256' }, algorithms: ['HS256'] }), { instanceOf: TypeError, message: /private/ });
});
