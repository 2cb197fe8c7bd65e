/**
 * Differential testing against jose: the guard verifies compact JWS with its own parser on
 * `node:crypto`, so for generated and mutated access tokens its verdict on the signature and the
 * registered claims must equal jose's `jwtVerify` configured the same way — except where the
 * guard is deliberately stricter, and each such rule is listed here with its RFC section. The
 * guard is never more lenient than jose. RFC 7638 thumbprints are compared with
 * `calculateJwkThumbprint`.
 */
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { createGuard, jwkThumbprint, type Guard, type GuardError } from '@resource-guard/core';
import { assertRejection, fuzzParameters } from '../helpers/fuzz.js';
import { AUDIENCE, startMockIssuer, type IssuerKey, type MockIssuer } from '../helpers/issuer.js';

const NOW = 1_800_000_000;
const TOLERANCE = 5;
const REQUIRED = ['sub', 'client_id', 'iat', 'jti'];

let issuer: MockIssuer;
let guard: Guard;
let keys: IssuerKey[];

test.before(async () => {
  issuer = await startMockIssuer('ES256');
  for (const alg of ['RS256', 'PS256', 'ES384', 'EdDSA']) issuer.published.push(issuer.createKey(alg));
  keys = issuer.published;
  guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, clock: () => NOW * 1000, clockTolerance: TOLERANCE, dpop: false, mtls: false });
});
test.after.always(async () => {
  await issuer?.close();
});

/**
 * Where the guard is stricter than jose's `jwtVerify`, by design. Returns the rule that applies
 * to these claims, if any; the guard must then reject although jose may accept.
 */
function stricterRule(claims: Record<string, unknown>): string | undefined {
  // RFC 7519 §4.1.1-4.1.7 / RFC 9068 §2.2: well-known claims have their JSON types.
  for (const name of ['iss', 'sub', 'client_id', 'jti', 'scope']) {
    if (claims[name] !== undefined && typeof claims[name] !== 'string') return `${name} must be a string (RFC 9068 §2.2)`;
  }
  // RFC 7519 §4.1.3: aud is a string or an array of strings.
  if (Array.isArray(claims.aud) && !claims.aud.every((item) => typeof item === 'string')) return 'aud elements must be strings (RFC 7519 §4.1.3)';
  // RFC 9068 §2.2: required claims carry a value; null is no value.
  for (const name of REQUIRED) if (claims[name] === null) return `${name} must not be null (RFC 9068 §2.2)`;
  // RFC 9068 §4 with RFC 8725 §3.10 spirit: a token issued in the future is not yet trustworthy.
  if (typeof claims.iat === 'number' && claims.iat > NOW + TOLERANCE) return 'iat in the future (RFC 9068 §4)';
  // RFC 9068 §2.2.3 / RFC 8693 §4.2: scp is a string or an array of strings; cnf an object (RFC 7800 §3.1).
  if (claims.scp !== undefined && typeof claims.scp !== 'string' && !(Array.isArray(claims.scp) && claims.scp.every((item) => typeof item === 'string'))) return 'scp shape';
  if (claims.cnf !== undefined && (typeof claims.cnf !== 'object' || claims.cnf === null || Array.isArray(claims.cnf))) return 'cnf must be an object (RFC 7800 §3.1)';
  return undefined;
}

/** A stricter rule on the compact serialisation itself (the guard decodes segments strictly). */
function stricterSyntax(token: string): string | undefined {
  // RFC 7515 §2 / §7.1: BASE64URL without padding; RFC 6750 §2.1 b64token for the header.
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) return 'segments must be unpadded base64url (RFC 7515 §2)';
  for (const segment of token.split('.').slice(0, 2)) {
    const bytes = Buffer.from(segment, 'base64url');
    // RFC 7515 §5.2 / RFC 8725 §3.7: the decoded segments are UTF-8.
    if (!new TextDecoder('utf-8', { fatal: false }).decode(bytes).length || !isUtf8(bytes)) return 'segments must be valid UTF-8 (RFC 7515 §5.2)';
    // Non-canonical base64url (trailing bits set): the same bytes under another spelling.
    if (bytes.toString('base64url') !== segment) return 'non-canonical base64url';
  }
  // RFC 4648 §3.5: the signature too has one spelling (unused bits zero).
  const signature = token.split('.')[2] ?? '';
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) return 'non-canonical base64url signature (RFC 4648 §3.5)';
  return undefined;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const jwks = () => createLocalJWKSet({ keys: keys.map((key) => key.publicJwk) as JWK[] });

async function joseAccepts(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, jwks(), {
      issuer: issuer.issuer, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'],
      requiredClaims: ['exp', ...REQUIRED], clockTolerance: TOLERANCE, currentDate: new Date(NOW * 1000),
    });
    return true;
  } catch {
    return false;
  }
}

async function guardOutcome(token: string): Promise<true | GuardError> {
  try {
    await guard.verify({ method: 'GET', url: 'https://api.example.test/', headers: { authorization: `Bearer ${token}` } });
    return true;
  } catch (error) {
    return assertRejection(error, [token]);
  }
}

/** Signs `payloadText` as-is (so it may hold duplicate members) with `key`, header `header`. */
function signRaw(key: IssuerKey, header: Record<string, unknown>, payloadText: string): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payloadText).toString('base64url')}`;
  const data = Buffer.from(input);
  let signature: Buffer;
  if (key.alg.startsWith('ES')) signature = nodeSign(key.alg === 'ES384' ? 'sha384' : 'sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  else if (key.alg === 'PS256') signature = nodeSign('sha256', data, { key: key.privateKey, padding: 6, saltLength: 32 });
  else if (key.alg === 'EdDSA') signature = nodeSign(null, data, key.privateKey);
  else signature = nodeSign('sha256', data, key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

const numberish = fc.oneof(
  fc.integer({ min: NOW - 1000, max: NOW + 1000 }),
  fc.double({ min: NOW - 20, max: NOW + 20, noNaN: true }),
  fc.constantFrom(0, -1, 1e300, NOW - TOLERANCE, NOW + TOLERANCE, NOW - TOLERANCE - 1, NOW + TOLERANCE + 1),
);
const weird = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), fc.constant({}));
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { freq: 4, nil: undefined });

const claimsArbitrary = fc.record({
  iss: fc.oneof({ weight: 6, arbitrary: fc.constant('ISSUER') }, { weight: 1, arbitrary: weird }),
  aud: fc.oneof(
    { weight: 5, arbitrary: fc.constant(AUDIENCE) },
    { weight: 2, arbitrary: fc.array(fc.oneof(fc.constant(AUDIENCE), fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3 }) },
    { weight: 1, arbitrary: weird },
  ),
  exp: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: NOW + 1, max: NOW + 3600 }) }, { weight: 3, arbitrary: numberish }, { weight: 1, arbitrary: weird }),
  nbf: maybe(fc.oneof(numberish, weird)),
  iat: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: NOW - 3600, max: NOW }) }, { weight: 3, arbitrary: numberish }, { weight: 1, arbitrary: weird }),
  sub: fc.oneof({ weight: 6, arbitrary: fc.constant('user') }, { weight: 1, arbitrary: weird }),
  client_id: fc.oneof({ weight: 6, arbitrary: fc.constant('client') }, { weight: 1, arbitrary: weird }),
  jti: fc.oneof({ weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 10 }) }, { weight: 1, arbitrary: weird }),
  scope: maybe(fc.oneof(fc.constant('a b'), weird)),
  scp: maybe(fc.oneof(fc.constant(['a']), weird)),
}, { requiredKeys: [] });

test('differential: the guard agrees with jose on generated claims, except its listed stricter rules', async (t) => {
  const typ = fc.oneof({ weight: 6, arbitrary: fc.constant('at+jwt') }, { weight: 3, arbitrary: fc.constantFrom('application/at+jwt', 'AT+JWT', 'JWT', 'dpop+jwt', undefined) });
  const counts = { agreeAccept: 0, agreeReject: 0, stricter: 0 };
  await fc.assert(fc.asyncProperty(claimsArbitrary, fc.nat({ max: 4 }), typ, fc.boolean(), async (claims, keyIndex, headerTyp, duplicate) => {
    const key = keys[keyIndex]!;
    const payload = Object.fromEntries(Object.entries({ ...claims, iss: claims.iss === 'ISSUER' ? issuer.issuer : claims.iss }).filter(([, value]) => value !== undefined));
    // Duplicate members: both parsers keep the last one (JSON.parse), so the verdicts must agree.
    const text = duplicate ? `{"sub":"shadowed",${JSON.stringify(payload).slice(1)}` : JSON.stringify(payload);
    const header: Record<string, unknown> = { alg: key.alg, kid: key.kid };
    if (headerTyp !== undefined) header.typ = headerTyp;
    const token = signRaw(key, header, text);
    const [ours, theirs] = [await guardOutcome(token), await joseAccepts(token)];
    const rule = stricterRule(JSON.parse(text) as Record<string, unknown>);
    if (theirs && rule === undefined) {
      if (ours !== true) throw new Error(`jose accepts, the guard refuses with ${ours.code}: ${text}`);
      counts.agreeAccept += 1;
    } else if (!theirs) {
      if (ours === true) throw new Error(`the guard accepts what jose refuses: ${text} ${JSON.stringify(header)}`);
      counts.agreeReject += 1;
    } else {
      if (ours === true) throw new Error(`stricter rule "${rule}" not applied: ${text}`);
      counts.stricter += 1;
    }
  }), fuzzParameters(800));
  t.true(counts.agreeAccept >= 10, `both accept in ${counts.agreeAccept} cases`);
  t.true(counts.agreeReject > 20, `both refuse in ${counts.agreeReject} cases`);
  t.true(counts.stricter > 5, `a stricter rule decides in ${counts.stricter} cases`);
});

test('differential: mutated serialisations (tampering, padding, re-encoding, truncation, DER signatures)', async (t) => {
  const base = await issuer.sign({ exp: NOW + 60, iat: NOW, nbf: undefined });
  const derToken = (() => {
    const [h, p] = base.split('.');
    const der = nodeSign('sha256', Buffer.from(`${h}.${p}`), { key: keys[0]!.privateKey, dsaEncoding: 'der' });
    return `${h}.${p}.${der.toString('base64url')}`;
  })();
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), char: fc.constantFrom('A', 'B', '_', '-', 'z', '0') }),
    fc.record({ kind: fc.constantFrom('pad' as const, 'truncate' as const, 'swap' as const, 'der' as const, 'reencode' as const, 'bytes' as const, 'malleate' as const), at: fc.nat(), char: fc.constant('') }),
  );
  let accepted = 0;
  await fc.assert(fc.asyncProperty(mutation, async ({ kind, at, char }) => {
    const [h = '', p = '', s = ''] = base.split('.');
    let token: string;
    switch (kind) {
      case 'flip': {
        const index = at % base.length;
        token = base.slice(0, index) + char + base.slice(index + 1);
        break;
      }
      case 'pad': token = `${h}.${p}.${s}${'='.repeat(1 + (at % 2))}`; break;
      case 'truncate': token = base.slice(0, at % base.length); break;
      case 'swap': token = `${p}.${h}.${s}`; break;
      case 'der': token = derToken; break;
      case 'reencode': token = `${Buffer.from(h, 'base64url').toString('base64')}.${p}.${s}`; break;
      case 'malleate': {
        // The unused low bits of the signature's last character set: the same bytes, another spelling.
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const sextet = alphabet.indexOf(s.at(-1)!) | (s.length % 4 === 2 ? 1 + (at % 15) : 1 + (at % 3));
        token = `${h}.${p}.${s.slice(0, -1)}${alphabet[sextet]}`;
        break;
      }
      default: {
        // A payload byte replaced (valid base64url, possibly invalid UTF-8), signature kept.
        const bytes = Buffer.from(p, 'base64url');
        bytes[at % bytes.length] = 0x80 + (at % 0x80);
        token = `${h}.${bytes.toString('base64url')}.${s}`;
      }
    }
    const [ours, theirs] = [await guardOutcome(token), await joseAccepts(token)];
    if (ours === true) {
      accepted += 1;
      if (!theirs) throw new Error(`the guard accepts a ${kind} mutation jose refuses`);
      if (stricterSyntax(token) !== undefined) throw new Error(`the guard accepts a non-canonical serialisation (${kind})`);
    } else if (theirs && stricterSyntax(token) === undefined && token !== base) {
      throw new Error(`jose accepts a ${kind} mutation the guard refuses with ${ours.code}`);
    }
  }), fuzzParameters(600));
  t.true(accepted > 0, 'mutations that change nothing (same character) are accepted by both');
});

test('differential: RFC 7638 thumbprints equal jose calculateJwkThumbprint, whatever the extra members and their order', async (t) => {
  const material = [
    generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
    generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' }),
    generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
    generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }),
  ] as JWK[];
  const extras = fc.dictionary(fc.constantFrom('kid', 'alg', 'use', 'key_ops', 'x5c', 'ext', 'zzz', 'a'), fc.jsonValue(), { maxKeys: 4 });
  await fc.assert(fc.asyncProperty(fc.nat({ max: material.length - 1 }), extras, fc.boolean(), async (index, extra, reverse) => {
    const jwk = { ...extra, ...material[index]! };
    const ordered = Object.fromEntries(reverse ? Object.entries(jwk).reverse() : Object.entries(jwk));
    const ours = jwkThumbprint(ordered);
    const theirs = await calculateJwkThumbprint(ordered as JWK, 'sha256');
    if (ours !== theirs) throw new Error(`thumbprints differ for ${JSON.stringify(ordered)}`);
  }), fuzzParameters(300));
  t.pass();
});
