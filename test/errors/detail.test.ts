/**
 * A rejection's `detail`: what to fix (which check, which claim, the configured value), on the
 * error and in the opt-in `logRejections` debug line, never in a response, never the token.
 */
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { DETAIL_LIST_MAX, DETAIL_VALUE_MAX, describeType, quoteList, quoteValue } from '../../packages/core/dist/errors/detail.js';
import {
  AUDIENCE, encodeSegment, flipSignature, hmacSigner, keySigner, rawJws, useMockIssuer,
} from '../helpers/issuer.js';
import { rejection, requestWith } from '../helpers/introspection.js';
import { startApp } from '../helpers/apps.js';
import { send } from '../helpers/http.js';

const issuer = useMockIssuer(test);

/** A logger that records every line, `debug` included. */
function debugLogger(): Required<NonNullable<GuardOptions['logger']>> & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (line) => lines.push(`debug: ${line}`),
    warn: (line) => lines.push(`warn: ${line}`),
    error: (line) => lines.push(`error: ${line}`),
  };
}

const guardOf = (options: Partial<GuardOptions> = {}) => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, ...options });

test('a missing required claim is named in the detail, with the configured list and the fix', async (t) => {
  const token = await issuer.sign({ client_id: undefined });
  const error = await rejection(t, guardOf().verify(requestWith(token)));
  t.is(error.code, 'ERR_TOKEN_CLAIM_MISSING');
  t.regex(error.detail!, /^required claim "client_id" is absent \(required: \["sub", "client_id", "iat", "jti"\]\)/);
  t.regex(error.detail!, /"requiredClaims"/);
  t.regex(error.detail!, /"profile"/);
});

test('no detail advises a relaxation that admits an ID token (LemonLDAP::NG: the API among the ID token\'s audiences)', async (t) => {
  const idToken = await issuer.sign({
    client_id: undefined, scope: undefined, azp: 'web-app', at_hash: 'x3Rv0aHIKw', auth_time: Math.floor(Date.now() / 1000),
  }, { header: { typ: 'JWT' } });
  // 1. The default profile: typ. Turning allowGenericJwtTyp on is safe while client_id stays required.
  t.is((await rejection(t, guardOf().verify(requestWith(idToken)))).code, 'ERR_JWT_TYP_INVALID');
  // 2. An ID token with nothing only ID tokens carry: the missing client_id is what keeps it out,
  // so the detail must not advise dropping it (with it dropped, this one would pass).
  const plain = await issuer.sign({ client_id: undefined, scope: undefined, azp: 'web-app' }, { header: { typ: 'JWT' } });
  const missing = await rejection(t, guardOf({ allowGenericJwtTyp: true }).verify(requestWith(plain)));
  t.is(missing.code, 'ERR_TOKEN_CLAIM_MISSING');
  t.notRegex(missing.detail!, /"requiredClaims"/);
  t.regex(missing.detail!, /an ID token\?.*"profile"/);
  // 3. The real ID token, client_id dropped anyway: still refused, as what it is.
  const dropped = await rejection(t, guardOf({ allowGenericJwtTyp: true, requiredClaims: ['sub', 'iat'] }).verify(requestWith(idToken)));
  t.is(dropped.code, 'ERR_TOKEN_ID_TOKEN');
  t.regex(dropped.detail!, /ID token \(claim "at_hash"/);
});

test('dropping a required claim is advised only where ID tokens stay out without it', async (t) => {
  const noJti = await issuer.sign({ jti: undefined }, { header: { typ: 'JWT' } });
  // client_id is still required: dropping jti lets no ID token in.
  t.regex((await rejection(t, guardOf({ allowGenericJwtTyp: true }).verify(requestWith(noJti)))).detail!, /set "requiredClaims"/);
  // Without client_id, the required claims are all that tells a JWT-typed access token from an ID token.
  const alone = await rejection(t, guardOf({ allowGenericJwtTyp: true, requiredClaims: ['sub', 'jti'] }).verify(requestWith(noJti)));
  t.notRegex(alone.detail!, /"requiredClaims"/);
  // Nor is the typ opt-out advised once client_id is no longer required.
  const typJwt = await rejection(t, guardOf({ requiredClaims: ['sub'] }).verify(requestWith(noJti)));
  t.is(typJwt.code, 'ERR_JWT_TYP_INVALID');
  t.notRegex(typJwt.detail!, /allowGenericJwtTyp/);
  t.regex((await rejection(t, guardOf().verify(requestWith(noJti)))).detail!, /"allowGenericJwtTyp: true"/);
  // A profile's markers keep its ID tokens out: the advice is safe there.
  const keycloak = await issuer.sign({ jti: undefined, typ: 'Bearer' }, { header: { typ: 'JWT' } });
  t.regex((await rejection(t, guardOf({ profile: 'keycloak', requiredClaims: ['sub', 'jti'] }).verify(requestWith(keycloak)))).detail!, /set "requiredClaims"/);
});

test('the detail is not enumerable, so serializing the error does not copy it; the rendered copy keeps it', async (t) => {
  const token = await issuer.sign({ sub: undefined });
  const error = await rejection(t, guardOf().verify(requestWith(token)));
  t.false(Object.keys(error).includes('detail'));
  t.false(JSON.stringify(error).includes('is absent'));
  t.regex(error.detail!, /"sub"/);
  t.truthy(error.headers['WWW-Authenticate'], 'the rendered copy (withHeaders) carries the detail too');
  t.throws(() => {
    (error as { detail: string }).detail = 'changed';
  }, { instanceOf: TypeError });
});

test('a wrong typ names the typ found and the two ways out (allowGenericJwtTyp, profile)', async (t) => {
  const token = await issuer.sign({}, { header: { typ: 'JWT' } });
  const error = await rejection(t, guardOf().verify(requestWith(token)));
  t.is(error.code, 'ERR_JWT_TYP_INVALID');
  t.regex(error.detail!, /^typ "JWT", expected "at\+jwt"/);
  t.regex(error.detail!, /"allowGenericJwtTyp: true"/);
  t.regex(error.detail!, /"profile"/);
  const untyped = await issuer.sign({}, { header: { typ: undefined } });
  t.regex((await rejection(t, guardOf().verify(requestWith(untyped)))).detail!, /^no "typ" header/);
  const proof = await issuer.sign({}, { header: { typ: 'dpop+jwt' } });
  const generic = await rejection(t, guardOf({ allowGenericJwtTyp: true }).verify(requestWith(proof)));
  t.regex(generic.detail!, /^typ "dpop\+jwt": neither "at\+jwt" nor "JWT"/);
});

test('values from the token are cut short and escaped: no raw control character, bounded length', async (t) => {
  const hostile = `https://evil.example/\n\u001b[31mforged log line\u2028\u202e${'x'.repeat(5000)}`;
  const token = rawJws({ alg: 'ES256', typ: 'at+jwt', kid: issuer.published[0]!.kid }, issuer.claims({ iss: hostile }), keySigner(issuer.published[0]!));
  const error = await rejection(t, guardOf().verify(requestWith(token)));
  t.is(error.code, 'ERR_JWT_ISSUER_UNTRUSTED');
  t.false(/[^\x20-\x7e]/.test(error.detail!), 'printable ASCII only');
  t.true(error.detail!.includes(String.raw`https://evil.example/\n\u001b[31mforged log line\u2028\u202e`));
  t.true(error.detail!.length < 400, `bounded (${error.detail!.length})`);
  t.false(error.detail!.includes('x'.repeat(200)));
  t.false(error.detail!.includes(token));
});

test('logRejections needs a logger with debug(); console has one', (t) => {
  t.throws(() => guardOf({ logRejections: true, logger: { warn() {}, error() {} } }), { instanceOf: TypeError, message: /"logRejections"/ });
  t.throws(() => guardOf({ logRejections: 'yes' as unknown as boolean }), { instanceOf: TypeError, message: /"logRejections"/ });
  t.notThrows(() => guardOf({ logRejections: true }));
});

test('without logRejections, a rejection logs nothing even when the logger has debug()', async (t) => {
  const logger = debugLogger();
  const token = await issuer.sign({ jti: undefined });
  await rejection(t, guardOf({ logger }).verify(requestWith(token)));
  t.deepEqual(logger.lines, []);
});

test('through Express: the debug line carries the detail, the response neither the detail nor the token', async (t) => {
  const logger = debugLogger();
  const app = await startApp('express', { issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, logger, logRejections: true });
  t.teardown(() => app.close());
  const token = await issuer.sign({ client_id: undefined, aud: 'https://other.example/' });
  const response = await send(`${app.url}/protected`, { headers: { authorization: `Bearer ${token}` } });
  t.is(response.status, 401);
  const error = app.errors[0] as { detail: string; code: string };
  t.is(error.code, 'ERR_TOKEN_AUDIENCE_INVALID');
  t.is(logger.lines.length, 1);
  t.is(logger.lines[0], `debug: resource-guard: rejected 401 ERR_TOKEN_AUDIENCE_INVALID: Token is not meant for this resource (${error.detail})`);
  t.regex(error.detail, /"https:\/\/other\.example\/"/);
  const visible = `${JSON.stringify(response.headers)}\n${response.body}`;
  t.false(visible.includes(error.detail));
  t.false(visible.includes('other.example'), 'nothing of the detail reaches the client');
  t.false(visible.includes(token));
  t.false(logger.lines.join('\n').includes(token));
  t.false(logger.lines.join('\n').includes(token.split('.')[1]!), 'not even the payload segment');
});

test('quoteValue and quoteList: every kind of value, bounded lists', (t) => {
  t.is(quoteValue('a"b\\c'), String.raw`"a\"b\\c"`);
  t.is(quoteValue('x'.repeat(200)), `"${'x'.repeat(DETAIL_VALUE_MAX)}..."`);
  t.is(quoteValue('\u0000\u007f\u0085\ud800'), String.raw`"\u0000\u007f\u0085\ud800"`);
  t.is(quoteValue(42), '42');
  t.is(quoteValue(Number.NaN), 'a non-finite number');
  t.is(quoteValue(true), 'true');
  t.is(quoteValue(null), 'null');
  t.is(quoteValue(undefined), 'none');
  t.is(quoteValue({ a: 1 }), 'an object');
  t.is(quoteValue(10n), 'a value of type bigint');
  t.is(quoteValue(['a', ['b'], 3]), '["a", an array, 3]');
  t.is(quoteList(Array.from({ length: 20 }, (_, i) => `v${i}`)), `[${Array.from({ length: DETAIL_LIST_MAX }, (_, i) => `"v${i}"`).join(', ')}, ... (20 in all)]`);
  t.is(describeType(undefined), 'undefined');
  t.is(describeType([]), 'an array');
  t.is(describeType({}), 'an object');
  t.is(describeType('s'), 'a string');
});

const now = () => Math.floor(Date.now() / 1000);

/** Each rejection class of the JWT path: the claims or header that trigger it, its code, what its detail must say. */
const CLASSES: ReadonlyArray<{
  title: string;
  token: () => Promise<string> | string;
  options?: Partial<GuardOptions>;
  code: string;
  detail: RegExp | (() => RegExp);
  /** A claim value that must not be shown (claims other than iss/aud/typ/alg/kid and times). */
  hidden?: string;
}> = [
  { title: 'exp absent', token: () => issuer.sign({ exp: undefined }), code: 'ERR_TOKEN_CLAIM_MISSING', detail: /^claim "exp" is absent/ },
  { title: 'exp not a number', token: () => issuer.sign({ exp: 'tomorrow' }), code: 'ERR_TOKEN_CLAIM_INVALID', detail: /^claim "exp" must be a number .*found a string$/, hidden: 'tomorrow' },
  { title: 'expired', token: () => issuer.sign({ exp: now() - 100 }), code: 'ERR_TOKEN_EXPIRED', detail: /^exp \d+ is 1\d\d s before now \(\d+\), beyond clockTolerance 5 s$/ },
  { title: 'nbf in the future', token: () => issuer.sign({ nbf: now() + 600 }), code: 'ERR_TOKEN_NOT_YET_VALID', detail: /^nbf \d+ is \d+ s after now \(\d+\), beyond clockTolerance 5 s$/ },
  { title: 'nbf not a number', token: () => issuer.sign({ nbf: [] }), code: 'ERR_TOKEN_CLAIM_INVALID', detail: /^claim "nbf" must be a number .*found an array$/ },
  { title: 'iat in the future', token: () => issuer.sign({ iat: now() + 600 }), options: { clockTolerance: 30 }, code: 'ERR_TOKEN_IAT_IN_FUTURE', detail: /^iat \d+ is \d+ s after now \(\d+\), beyond clockTolerance 30 s$/ },
  { title: 'iat not a number', token: () => issuer.sign({ iat: null }), code: 'ERR_TOKEN_CLAIM_INVALID', detail: /^claim "iat" must be a number .*found null$/ },
  { title: 'aud absent', token: () => issuer.sign({ aud: undefined }), code: 'ERR_TOKEN_CLAIM_MISSING', detail: /^claim "aud" is absent; .*audience: \["https:\/\/api\.example\.test"\]/ },
  { title: 'aud malformed', token: () => issuer.sign({ aud: { x: 1 } }), code: 'ERR_TOKEN_CLAIM_INVALID', detail: /^claim "aud" must be a string or a list of strings, found an object$/ },
  { title: 'aud of another resource', token: () => issuer.sign({ aud: ['https://api.example.test/', 'b'] }), code: 'ERR_TOKEN_AUDIENCE_INVALID', detail: /^aud \["https:\/\/api\.example\.test\/", "b"\] names none of audience: \["https:\/\/api\.example\.test"\]/ },
  { title: 'sub not a string', token: () => issuer.sign({ sub: 987_654_321 }), code: 'ERR_TOKEN_CLAIM_INVALID', detail: /^claim "sub" must be a string, found a number$/, hidden: '987654321' },
  { title: 'scp malformed', token: () => issuer.sign({ scp: [1] }), code: 'ERR_TOKEN_CLAIM_INVALID', detail: /^claim "scp" must be a string or a list of strings, found an array$/ },
  { title: 'cnf malformed', token: () => issuer.sign({ cnf: 'secret-thumbprint' }), code: 'ERR_TOKEN_CLAIM_INVALID', detail: /^claim "cnf" must be a JSON object, found a string$/, hidden: 'secret-thumbprint' },
  { title: 'a required claim null', token: () => issuer.sign({ tenant: null }), options: { requiredClaims: ['sub', 'tenant'] }, code: 'ERR_TOKEN_CLAIM_MISSING', detail: /^required claim "tenant" is null \(required: \["sub", "tenant"\]\)/ },
  { title: 'a validator', token: () => issuer.sign({ tenant: 'globex' }), options: { validators: { tenant: 'acme' } }, code: 'ERR_TOKEN_VALIDATOR_FAILED', detail: /^the "validators" check of claim "tenant" failed$/, hidden: 'globex' },
  {
    title: 'alg not allowed',
    token: () => issuer.sign({}),
    options: { algorithms: ['RS256', 'PS256'] },
    code: 'ERR_JWT_ALG_NOT_ALLOWED',
    detail: /^alg "ES256" is not one of algorithms: \["RS256", "PS256"\]$/,
  },
  {
    title: 'HS256 without a secret',
    token: () => rawJws({ alg: 'HS256', typ: 'at+jwt' }, issuer.claims(), hmacSigner('k'.repeat(32))),
    code: 'ERR_JWT_ALG_NOT_ALLOWED',
    detail: /^alg "HS256" is not one of algorithms: \[.*\]; HS\* tokens need "secret"$/,
  },
  { title: 'alg not a string', token: () => `${encodeSegment({ alg: 7, typ: 'at+jwt' })}.${encodeSegment(issuer.claims())}.c2ln`, code: 'ERR_TOKEN_FORMAT_UNSUPPORTED', detail: /./ },
  { title: 'crit', token: () => rawJws({ alg: 'ES256', typ: 'at+jwt', kid: issuer.published[0]!.kid, crit: ['exp'], exp: 1 }, issuer.claims(), keySigner(issuer.published[0]!)), code: 'ERR_JWT_CRIT_UNSUPPORTED', detail: /^crit \["exp"\] names extensions/ },
  { title: 'kid not a string', token: () => issuer.sign({}, { header: { kid: 5 } }), code: 'ERR_JWT_MALFORMED', detail: /^header "kid" must be a string, found a number$/ },
  { title: 'payload not JSON', token: () => `${encodeSegment({ alg: 'ES256', typ: 'at+jwt' })}.${encodeSegment('not json')}.c2ln`, code: 'ERR_JWT_MALFORMED', detail: /^the payload is not base64url of a UTF-8 JSON object/ },
  {
    title: 'issuer with a trailing slash',
    token: () => issuer.sign({ iss: `${issuer.issuer}/` }),
    code: 'ERR_JWT_ISSUER_UNTRUSTED',
    detail: () => new RegExp(`^iss "${issuer.issuer.replaceAll('.', '\\.')}/"; trusted \\(issuer, compared exactly, trailing slash included\\): \\["${issuer.issuer.replaceAll('.', '\\.')}"\\]$`),
  },
  { title: 'iss absent', token: () => issuer.sign({ iss: undefined }), code: 'ERR_JWT_ISSUER_UNTRUSTED', detail: /^claim "iss" is absent; trusted/ },
  { title: 'iss not a string', token: () => issuer.sign({ iss: ['a'] }), code: 'ERR_JWT_ISSUER_UNTRUSTED', detail: /^claim "iss" is an array; trusted/ },
  {
    title: 'kid not in the JWKS',
    token: () => issuer.sign({}, { key: issuer.createKey('ES256', 'retired-key') }),
    code: 'ERR_JWKS_NO_MATCHING_KEY',
    detail: /^no key of issuer "http:\/\/127\.0\.0\.1:\d+" has kid "retired-key" and fits alg "ES256" \(an unknown kid refetches the JWKS at most once per jwksCooldown\)$/,
  },
  { title: 'no key for the alg', token: () => issuer.sign({}, { key: issuer.createKey('RS256'), header: { kid: undefined } }), code: 'ERR_JWKS_NO_MATCHING_KEY', detail: /^no key of issuer "[^"]+" fits alg "RS256"/ },
  { title: 'bad signature', token: async () => flipSignature(await issuer.sign({})), code: 'ERR_JWS_SIGNATURE_INVALID', detail: /^the signature does not verify with the key of issuer "/ },
  {
    title: 'bad HMAC signature',
    token: () => rawJws({ alg: 'HS256', typ: 'at+jwt' }, issuer.claims(), hmacSigner('w'.repeat(32))),
    options: { secret: 's'.repeat(32), algorithms: ['HS256'] },
    code: 'ERR_JWS_SIGNATURE_INVALID',
    detail: /^the signature does not verify with the configured "secret"$/,
  },
];

for (const item of CLASSES) {
  for (const offload of [false, true]) {
    if (offload && !item.code.startsWith('ERR_JWS')) continue;
    test(`detail: ${item.title}${offload ? ' (offloadSignatures)' : ''}`, async (t) => {
      const token = await item.token();
      const error = await rejection(t, guardOf({ offloadSignatures: offload, ...item.options }).verify(requestWith(token)));
      t.is(error.code as string, item.code);
      if (item.code === 'ERR_TOKEN_FORMAT_UNSUPPORTED') return;
      t.regex(error.detail ?? '', typeof item.detail === 'function' ? item.detail() : item.detail);
      t.false(error.detail!.includes(token), 'never the token');
      if (item.hidden !== undefined) t.false(error.detail!.includes(item.hidden), 'the claim value is not shown');
      t.false(`${error.message}${JSON.stringify(error.headers)}`.includes(error.detail!), 'not in the message or the challenge');
    });
  }
}
