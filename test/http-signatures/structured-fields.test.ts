import test from 'ava';
import fc from 'fast-check';
import {
  ByteSequence, Decimal, Token, StructuredFieldError, checkContentDigest, componentValue, createContentDigest, createSignatureBase, parseDictionary, parseItem, parseList, serializeDictionary, serializeList, serializeMember,
  type HttpRequestParts,
} from '@resource-guard/http-signatures';

test('RFC 8941 round trips: dictionaries, lists, inner lists, parameters and every bare item type', (t) => {
  const dictionary = 'a=1, b=-2.5;x, c="q\\"uo\\\\te", d=tok/en:1, e=:AQID:, f=?0, g, h=(1 "two" three);p=?1, i=0.123';
  // A true parameter serializes as its bare key (RFC 8941 §4.1.1.2).
  t.is(serializeDictionary(parseDictionary(dictionary)), dictionary.replace(';p=?1', ';p'));
  const parsed = parseDictionary(dictionary);
  t.is((parsed.get('a') as { value: unknown }).value, 1);
  t.true((parsed.get('b') as { value: unknown }).value instanceof Decimal);
  t.is((parsed.get('c') as { value: unknown }).value, 'q"uo\\te');
  t.true((parsed.get('d') as { value: unknown }).value instanceof Token);
  t.deepEqual([...((parsed.get('e') as { value: ByteSequence }).value.bytes)], [1, 2, 3]);
  t.is((parsed.get('g') as { value: unknown }).value, true);
  // Decimals keep their type: 2.0 is not the integer 2.
  t.is(serializeMember(parseItem('2.0')), '2.0');
  t.is(serializeMember(parseItem('-0.5;a=?1')), '-0.5;a');
  t.is(serializeList(parseList('a, (b c);d=1,   "e"  ')), 'a, (b c);d=1, "e"');
  t.is(serializeList(parseList('')), '');
  t.is(parseDictionary('').size, 0);
  // Duplicated keys: the last one wins, in the position of the last (RFC 8941 §4.2.2).
  t.is(serializeDictionary(parseDictionary('a=1, b=2, a=3')), 'b=2, a=3');
  t.is(serializeMember(parseItem('x;a=1;b=2;a=3')), 'x;b=2;a=3');
  // Byte sequences without padding are accepted and serialized with it.
  t.is(serializeMember(parseItem(':AQI:')), ':AQI=:');
  t.is(serializeMember(parseItem('*tok')), '*tok');
  t.is(serializeList(parseList('(?1 ?0)')), '(?1 ?0)');
});

test('RFC 8941 parse failures throw StructuredFieldError, whatever the input', (t) => {
  const bad = [
    'a=', 'a=1,', 'a=1,,b=2', 'A=1', '1a=1', 'a=(1 2', 'a=(1,2)', 'a=1 b=2', 'a="unterminated', 'a="bad\\escape"',
    'a="\u00e9"', 'a=:not base64:', 'a=:AQID', 'a=?2', 'a=1234567890123456', 'a=1234567890123.5', 'a=1.2345', 'a=1.',
    'a=1;', 'a=1;B=2', 'a=@', 'a=(1)x', 'a=-', 'a=12.3.4', 'a=:A:',
  ];
  for (const input of bad) t.throws(() => parseDictionary(input), { instanceOf: StructuredFieldError }, input);
  t.throws(() => parseList('a,'), { instanceOf: StructuredFieldError });
  t.throws(() => parseItem('a b'), { instanceOf: StructuredFieldError });
  t.throws(() => parseItem(''), { instanceOf: StructuredFieldError });
});

const request: HttpRequestParts = {
  method: 'GET',
  url: 'https://Example.COM:443/a%20b/c?q=1&name=a%20b&twice=1&twice=2',
  headers: {
    'X-Mixed-Case': '  padded value  ',
    'x-lines': ['one', 'two '],
    'x-folded': 'first\r\n  second',
    'content-digest': 'sha-256=:AQID:,   sha-512=:BAUG:;p=1',
    'x-newline': 'a\nb',
  },
};
const value = (identifier: string) => componentValue(parseItem(identifier), { request });

test('derived components (RFC 9421 §2.2) from the request URL', (t) => {
  t.is(value('"@method"'), 'GET');
  t.is(value('"@target-uri"'), request.url);
  t.is(value('"@authority"'), 'example.com');
  t.is(value('"@scheme"'), 'https');
  t.is(value('"@request-target"'), '/a%20b/c?q=1&name=a%20b&twice=1&twice=2');
  t.is(value('"@path"'), '/a%20b/c');
  t.is(value('"@query"'), '?q=1&name=a%20b&twice=1&twice=2');
  t.is(value('"@query-param";name="name"'), 'a%20b');
  t.is(componentValue(parseItem('"@query"'), { request: { ...request, url: 'http://h.example:8080/' } }), '?');
  t.is(componentValue(parseItem('"@authority"'), { request: { ...request, url: 'http://h.example:8080/' } }), 'h.example:8080');
  t.throws(() => value('"@query-param";name="twice"'), { message: /more than once/ });
  t.throws(() => componentValue(parseItem('"@path"'), { request: { ...request, url: '/relative' } }), { message: /absolute/ });
});

test('header fields (RFC 9421 §2.1): trimmed, lines joined, folding removed, sf/key/bs, names case-insensitive', (t) => {
  t.is(value('"x-mixed-case"'), 'padded value');
  t.is(value('"x-lines"'), 'one, two');
  t.is(value('"x-folded"'), 'first second');
  t.is(value('"content-digest";sf'), 'sha-256=:AQID:, sha-512=:BAUG:;p=1');
  t.is(value('"content-digest";key="sha-512"'), ':BAUG:;p=1');
  t.is(value('"x-lines";bs'), ':b25l:, :dHdv:');
  t.throws(() => value('"content-digest";key="md5"'), { message: /member is absent/ });
  t.throws(() => value('"content-digest";key=1'), { message: /not a string/ });
  t.throws(() => componentValue(parseItem('"content-digest";sf'), { request: { ...request, headers: { 'content-digest': 'a=(' } } }), { message: /not a valid structured field/ });
  // A value that spans lines would forge a line of the base.
  const input = { items: [parseItem('"x-newline"')], params: new Map() };
  t.throws(() => createSignatureBase(input, { request }), { message: /spans lines/ });
  // Responses: @status, and ;req reads the request.
  const response = { status: 404, headers: { 'x-mixed-case': 'response' } };
  t.is(componentValue(parseItem('"@status"'), { request, response }), '404');
  t.is(componentValue(parseItem('"x-mixed-case"'), { request, response }), 'response');
  t.is(componentValue(parseItem('"x-mixed-case";req'), { request, response }), 'padded value');
  t.is(componentValue(parseItem('"@method";req'), { request, response }), 'GET');
  t.throws(() => componentValue(parseItem('"@status";req'), { request, response }), { message: /only for responses/ });
  t.throws(() => value('"@method";req'), { message: /req on a request signature/ });
  t.is(componentValue(parseItem('"cache-status";sf'), { request, response: { status: 200, headers: { 'cache-status': 'a;hit,  b' } } }), 'a;hit, b');
});

// RFC 9530 §2 and its Appendix examples: the digests of `{"hello": "world"}`.
test('RFC 9530 content digests: the RFC\'s example values, and every outcome of the check', async (t) => {
  const body = new TextEncoder().encode('{"hello": "world"}');
  t.is(await createContentDigest(body), 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
  t.is(await createContentDigest(body, 'sha-512'), 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:');
  await t.throwsAsync(createContentDigest(body, 'md5' as never), { instanceOf: TypeError });
  const check = (field: string | undefined) => checkContentDigest(field === undefined ? {} : { 'content-digest': field }, body);
  t.is(await check('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'), 'valid');
  t.is(await check('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:'), 'valid');
  t.is(await check('unixsum=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'), 'valid');
  t.is(await check(undefined), 'missing');
  t.is(await check('sha-256=X48E9q'), 'malformed');
  t.is(await check('sha-256=(:AAAA:)'), 'malformed');
  t.is(await check('sha-256=:AA'), 'malformed');
  t.is(await check('md5=:AAAAAAAAAAAAAAAAAAAAAA==:, sha=:AAAA:'), 'unsupported');
  t.is(await check('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPA=:'), 'mismatch');
  t.is(await check('sha-256=:AAAA:'), 'mismatch');
});

test('RFC 8941 parser, property-based: any input parses or throws StructuredFieldError; serialize ∘ parse is stable', (t) => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (input) => {
    try {
      parseDictionary(input);
    } catch (error) {
      return error instanceof StructuredFieldError;
    }
    return true;
  }), { numRuns: 2000 });
  const key = fc.stringMatching(/^[a-z*][a-z0-9_\-.*]{0,8}$/);
  const bare = fc.oneof(
    fc.integer({ min: -999_999, max: 999_999 }),
    fc.stringMatching(/^[\x20-\x7e]{0,20}$/),
    fc.stringMatching(/^[A-Za-z*][A-Za-z0-9:/!#$%&'*+\-.^_`|~]{0,10}$/).map((value) => new Token(value)),
    fc.uint8Array({ maxLength: 20 }).map((bytes) => new ByteSequence(bytes)),
    fc.boolean(),
  );
  const item = fc.record({ value: bare, params: fc.array(fc.tuple(key, bare), { maxLength: 3 }).map((pairs) => new Map(pairs)) });
  const member = fc.oneof(item, fc.record({ items: fc.array(item, { maxLength: 4 }), params: fc.constant(new Map()) }));
  fc.assert(fc.property(fc.array(fc.tuple(key, member), { maxLength: 5 }), (pairs) => {
    const text = serializeDictionary(new Map(pairs));
    return serializeDictionary(parseDictionary(text)) === text;
  }), { numRuns: 1000 });
  t.pass('both properties held for every generated input');
});
