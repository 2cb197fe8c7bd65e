/**
 * RFC 9421 §2.2.8 `@query-param`: the RFC's own examples as signature bases, the encoding of the
 * characters where `encodeURIComponent` and the form-urlencoded percent-encode set differ, and a
 * `name` parameter that is not in encoded form refused as a component error, never thrown by a decoder.
 */
import test from 'ava';
import {
  SignatureBaseError, componentValue, createRequestSignatureVerifier, createRequestSigner, createSignatureBase, parseItem, parseMessageSignatures,
  type HttpRequestParts,
} from '@resource-guard/http-signatures';
import { rejectionOf } from '../helpers/issuer.js';
import { keyPair, withFields } from './signing.js';

const request = (target: string): HttpRequestParts => ({ method: 'GET', url: `https://www.example.com${target}`, headers: { host: 'www.example.com' } });
const baseOf = (target: string, components: string) => {
  const input = `sig1=(${components})`;
  const [entry] = parseMessageSignatures({ 'signature-input': input, signature: 'sig1=:AA==:' });
  return createSignatureBase(entry!.input, { request: request(target) });
};
const value = (target: string, name: string) => componentValue(parseItem(`"@query-param";name="${name}"`), { request: request(target) });

test('RFC 9421 §2.2.8, first example: baz, qux (empty) and param, in the order covered', (t) => {
  const components = '"@query-param";name="baz" "@query-param";name="qux" "@query-param";name="param"';
  t.is(baseOf('/path?param=value&foo=bar&baz=batman&qux=', components), [
    '"@query-param";name="baz": batman',
    '"@query-param";name="qux": ',
    '"@query-param";name="param": value',
    `"@signature-params": (${components})`,
  ].join('\n'));
});

test('RFC 9421 §2.2.8, second example: %20 for a space (also one sent as "+"), %0A, and an encoded non-ASCII name', (t) => {
  const target = '/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something';
  const components = '"@query-param";name="var" "@query-param";name="bar" "@query-param";name="fa%C3%A7ade%22%3A%20"';
  t.is(baseOf(target, components), [
    '"@query-param";name="var": this%20is%20a%20big%0Amultiline%20value',
    '"@query-param";name="bar": with%20plus%20whitespace',
    '"@query-param";name="fa%C3%A7ade%22%3A%20": something',
    `"@signature-params": (${components})`,
  ].join('\n'));
  // The same parameter sent with %20 instead of "+" has the same value: a proxy may re-encode.
  t.is(value('/p?bar=with%20plus%20whitespace', 'bar'), 'with%20plus%20whitespace');
});

test('the form-urlencoded percent-encode set: !\'()~ are encoded (encodeURIComponent leaves them), * - . _ are not; UTF-8, upper-case hex', (t) => {
  t.is(value("/p?v=a!'()*~-._b", 'v'), 'a%21%27%28%29*%7E-._b');
  t.is(value('/p?v=%C3%A9t%C3%A9%20%F0%9F%98%80', 'v'), '%C3%A9t%C3%A9%20%F0%9F%98%80');
  // Raw non-ASCII in the URL is UTF-8 (the URL parser), then encoded the same way.
  t.is(value('/p?v=été', 'v'), '%C3%A9t%C3%A9');
  t.is(value('/p?v=a%2Bb%26c%3Dd%25', 'v'), 'a%2Bb%26c%3Dd%25');
  // Bytes that are not UTF-8 decode to U+FFFD (the form-urlencoded parser), never throw.
  t.is(value('/p?v=%E0%A4', 'v'), '%EF%BF%BD');
  // Names the same way: the name parameter carries the encoded name.
  t.is(value("/p?it's=1", 'it%27s'), '1');
  t.is(value('/p?a+b=2', 'a%20b'), '2');
});

test('a name parameter not in encoded form is an invalid component, never a URIError', (t) => {
  const target = '/p?%E0%A4%A=1&a%20b=2&%C3%A7=3';
  for (const name of ['%E0%A4%A', '%', '%zz', 'a b', '%c3%a7', "it's", 'a+b']) {
    const error = t.throws(() => value(target, name), { instanceOf: SignatureBaseError }, name);
    t.is(error?.reason, 'invalid', name);
    t.regex(error?.message ?? '', /not percent-encoded as RFC 9421 §2\.2\.8 asks/, name);
  }
  // Well-formed escapes of bytes that are not UTF-8 match no parameter: absent, not a crash.
  t.is(t.throws(() => value(target, '%E0%A4'), { instanceOf: SignatureBaseError })?.reason, 'missing');
  // A name that occurs twice once decoded (RFC 9421 §2.2.8: MUST NOT be covered).
  t.throws(() => value('/path?param=value&%70aram=value', 'param'), { instanceOf: SignatureBaseError, message: /more than once/ });
});

test('the verifier: a covered @query-param with a malformed name is 401 ERR_HTTPSIG_COMPONENT_INVALID naming the rule', async (t) => {
  const client = keyPair('ES256');
  const url = 'https://api.example.test/q?%E0%A4%A=1';
  const unsigned = { method: 'GET', url, headers: { authorization: 'Bearer token-value' } };
  const fields = await createRequestSigner({ key: client.privateJwk }).sign(unsigned);
  const input = fields['signature-input'].replace('"authorization")', '"authorization" "@query-param";name="%E0%A4%A")');
  const error = await rejectionOf(createRequestSignatureVerifier({ keys: { keys: [client.publicJwk] } }).verify(withFields(unsigned, { ...fields, 'signature-input': input })));
  t.is(error.code, 'ERR_HTTPSIG_COMPONENT_INVALID');
  t.is(error.status, 401);
  t.regex(error.detail ?? '', /not percent-encoded as RFC 9421 §2\.2\.8 asks/);
});
