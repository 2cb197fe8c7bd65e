/**
 * `detail` of the rejections after the signature: DPoP proofs, sender binding (DPoP, mTLS),
 * introspection answers, route requirements, and the request itself. Each names the check and the
 * configured value, never the token, a proof or a thumbprint. On both backends; the JWE ones
 * (decryption with a private key) are in detail-binding.node.test.ts.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { CompactSign } from 'jose';
import {
  createGuard, requireAnyScope, requireAuthentication, requireClaims, requireScopes, type AuthContext, type GuardError, type GuardOptions,
} from '@resource-guard/core';
import { expectDetail } from '../helpers/detail.js';
import { ath, clientKey, nowSeconds, withoutUndefined, type ClientKey } from '../helpers/dpop.js';
import { AUDIENCE, useMockIssuer } from '../helpers/issuer.js';
import { activeBody, optionsFor, rejection, requestWith, startEndpoint } from '../helpers/introspection.js';
import { makeCertificate } from '../helpers/certificates.js';

const issuer = useMockIssuer(test);
const URL_ = 'https://api.example.test/orders';

const guardOf = (options: Partial<GuardOptions> = {}) => createGuard({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, ...options });

async function proof(key: ClientKey, token: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const payload = withoutUndefined({ htm: 'GET', htu: URL_, iat: nowSeconds(), jti: randomUUID(), ath: ath(token), ...claims });
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(withoutUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...header }) as { alg: string })
    .sign(key.privateKey);
}

test('DPoP proof checks name what differs', async (t) => {
  const key = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const guard = guardOf();
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, string, RegExp]> = [
    [{}, { typ: 'JWT' }, 'ERR_DPOP_TYP_INVALID', /^proof typ "JWT", expected "dpop\+jwt"/],
    [{ htm: 'POST' }, {}, 'ERR_DPOP_HTM_MISMATCH', /^proof htm "POST", request method "GET"$/],
    [{ htu: 'https://api.example.test/other' }, {}, 'ERR_DPOP_HTU_MISMATCH', /^proof htu "https:\/\/api\.example\.test\/other", request URL "https:\/\/api\.example\.test\/orders" \(.*"dpop\.baseUrl"\)$/],
    [{ iat: nowSeconds() - 3600 }, {}, 'ERR_DPOP_IAT_EXPIRED', /^proof iat is 3\d\d\d s old; dpop\.proofMaxAge \d+ s \+ clockTolerance \d+ s$/],
    [{ iat: nowSeconds() + 3600 }, {}, 'ERR_DPOP_IAT_FUTURE', /^proof iat is 3\d\d\d s ahead of now/],
    [{ iat: 'now' }, {}, 'ERR_DPOP_IAT_INVALID', /^proof iat is a string, not a number$/],
    [{ jti: '' }, {}, 'ERR_DPOP_JTI_INVALID', /^proof jti must be a string of 1 to \d+ characters, found a string$/],
    [{ ath: ath('another token') }, {}, 'ERR_DPOP_ATH_MISMATCH', /^proof ath is not the SHA-256 of the access token/],
  ];
  for (const [claims, header, code, detail] of cases) {
    const dpop = await proof(key, token, claims, header);
    const error = await rejection(t, guard.verify(requestWith(token, 'DPoP', { dpop })));
    expectDetail(t, error, code, detail, [token, dpop, key.jkt]);
  }
  const restricted = guardOf({ dpop: { algorithms: ['EdDSA'] } });
  const dpop = await proof(key, token);
  expectDetail(t, await rejection(t, restricted.verify(requestWith(token, 'DPoP', { dpop }))), 'ERR_DPOP_ALG_NOT_ALLOWED', /^proof alg "ES256" is not one of dpop\.algorithms: \["EdDSA"\]$/, [token]);
  const rsa = await clientKey('RS256');
  const mismatched = await proof({ ...rsa, alg: 'ES256', publicJwk: rsa.publicJwk, privateKey: key.privateKey }, token);
  expectDetail(t, await rejection(t, guard.verify(requestWith(token, 'DPoP', { dpop: mismatched }))), 'ERR_DPOP_JWK_ALG_MISMATCH', /^the proof's jwk \(kty "RSA"\) cannot sign alg "ES256"$/, [token]);
  const leaky = await proof(key, token, {}, { jwk: { ...key.publicJwk, d: 'private-part' } });
  expectDetail(t, await rejection(t, guard.verify(requestWith(token, 'DPoP', { dpop: leaky }))), 'ERR_DPOP_JWK_PRIVATE', /private members/, ['private-part']);
});

test('DPoP binding and replay: the key differs, the proof was used, the nonce is missing or stale', async (t) => {
  const key = await clientKey();
  const other = await clientKey();
  const token = await issuer.sign({ cnf: { jkt: key.jkt } });
  const guard = guardOf();
  const byOther = await proof(other, token);
  expectDetail(t, await rejection(t, guard.verify(requestWith(token, 'DPoP', { dpop: byOther }))), 'ERR_DPOP_BINDING_MISMATCH', /differs from the token's cnf\.jkt/, [key.jkt, other.jkt]);
  const once = await proof(key, token);
  await guard.verify(requestWith(token, 'DPoP', { dpop: once }));
  expectDetail(t, await rejection(t, guard.verify(requestWith(token, 'DPoP', { dpop: once }))), 'ERR_DPOP_JTI_REPLAYED', /^a proof with this jti and key was seen before/, [once]);
  const withNonces = guardOf({ dpop: { nonce: { secret: 'n'.repeat(32) } } });
  expectDetail(t, await rejection(t, withNonces.verify(requestWith(token, 'DPoP', { dpop: await proof(key, token) }))), 'ERR_DPOP_NONCE_REQUIRED', /^the proof has no nonce/, []);
  expectDetail(t, await rejection(t, withNonces.verify(requestWith(token, 'DPoP', { dpop: await proof(key, token, { nonce: 'made-up' }) }))), 'ERR_DPOP_NONCE_REQUIRED', /stale or was not issued/, ['made-up']);
});

test('sender-binding rules name the option or the claim', async (t) => {
  const key = await clientKey();
  const bound = await issuer.sign({ cnf: { jkt: key.jkt } });
  const unbound = await issuer.sign();
  const certBound = await issuer.sign({ cnf: { 'x5t#S256': 'thumbprint-value' } });
  expectDetail(t, await rejection(t, guardOf().verify(requestWith(bound))), 'ERR_DPOP_BEARER_DOWNGRADE', /send it with "Authorization: DPoP" and a proof/, [bound, key.jkt]);
  expectDetail(t, await rejection(t, guardOf().verify(requestWith(unbound, 'DPoP', { dpop: await proof(key, unbound) }))), 'ERR_DPOP_TOKEN_UNBOUND', /send it as Bearer$/, [unbound]);
  expectDetail(t, await rejection(t, guardOf({ dpop: { required: true } }).verify(requestWith(unbound))), 'ERR_DPOP_REQUIRED', /^dpop\.required is on/, []);
  const badJkt = await issuer.sign({ token_type: 'DPoP', cnf: {} });
  expectDetail(t, await rejection(t, guardOf().verify(requestWith(badJkt, 'DPoP', { dpop: await proof(key, badJkt) }))), 'ERR_DPOP_BINDING_INVALID', /^cnf\.jkt must be a string, found undefined$/, []);
  expectDetail(t, await rejection(t, guardOf({ mtls: false }).verify(requestWith(certBound))), 'ERR_MTLS_DISABLED', /"mtls" is false/, ['thumbprint-value']);
  expectDetail(t, await rejection(t, guardOf({ mtls: { required: true } }).verify(requestWith(unbound))), 'ERR_MTLS_REQUIRED', /^mtls\.required is on/, []);
  expectDetail(t, await rejection(t, guardOf().verify(requestWith(certBound))), 'ERR_MTLS_CERTIFICATE_MISSING', /looked in: the TLS connection\)$/, ['thumbprint-value']);
  const { der } = makeCertificate('client-a');
  const request = { ...requestWith(certBound), clientCertificate: der };
  expectDetail(t, await rejection(t, guardOf().verify(request)), 'ERR_MTLS_BINDING_MISMATCH', /^the SHA-256 thumbprint of the client certificate \(from the TLS connection\) differs/, ['thumbprint-value']);
  const viaHeader = guardOf({ mtls: { trustedProxyHeader: 'X-Client-Cert' } });
  expectDetail(t, await rejection(t, viaHeader.verify(requestWith(certBound))), 'ERR_MTLS_CERTIFICATE_MISSING', /the x-client-cert header \(mtls\.trustedProxyHeader\)/, []);
  const viaFunction = guardOf({ mtls: { certificate: () => der } });
  expectDetail(t, await rejection(t, viaFunction.verify(requestWith(certBound))), 'ERR_MTLS_BINDING_MISMATCH', /from "mtls\.certificate"/, []);
  const malformedX5t = await issuer.sign({ cnf: { 'x5t#S256': 42 } });
  expectDetail(t, await rejection(t, guardOf().verify(request.headers === undefined ? request : { ...request, headers: requestWith(malformedX5t).headers })), 'ERR_MTLS_BINDING_INVALID', /^cnf\["x5t#S256"\] must be a string, found a number$/, []);
});

test('introspection answers: inactive, malformed, another issuer, a malformed member', async (t) => {
  let body: Record<string, unknown> = { active: false };
  const endpoint = await startEndpoint(() => ({ body }));
  t.teardown(() => endpoint.close());
  const guard = createGuard(optionsFor(endpoint.url, { cacheTtl: 0, inactiveCacheTtl: 0 }));
  expectDetail(t, await rejection(t, guard.verify(requestWith('opaque-token'))), 'ERR_INTROSPECTION_INACTIVE', /answered active: false/, ['opaque-token']);
  body = { active: 'true' };
  expectDetail(t, await rejection(t, guard.verify(requestWith('opaque-token'))), 'ERR_INTROSPECTION_MALFORMED', /"active" is a string, not a JSON boolean/, []);
  body = activeBody({ iss: 'https://as.example.test/' });
  expectDetail(t, await rejection(t, guard.verify(requestWith('opaque-token'))), 'ERR_INTROSPECTION_ISSUER_UNTRUSTED', /iss "https:\/\/as\.example\.test\/" is not one of issuer: \["https:\/\/as\.example\.test"\]/, []);
  body = activeBody({ username: 12_345 });
  expectDetail(t, await rejection(t, guard.verify(requestWith('opaque-token'))), 'ERR_TOKEN_CLAIM_INVALID', /^claim "username" must be a string, found a number$/, ['12345']);
  const failing = await startEndpoint(() => ({ status: 502 }));
  t.teardown(() => failing.close());
  const down = createGuard(optionsFor(failing.url, { cacheTtl: 0 }));
  expectDetail(t, await rejection(t, down.verify(requestWith('opaque-token'))), 'ERR_INTROSPECTION_UNAVAILABLE', /^POST http:\/\/127\.0\.0\.1:\d+\/introspect$/, []);
  const unsupported = await startEndpoint(() => ({ status: 400, body: { error: 'unsupported_token_type' } }));
  t.teardown(() => unsupported.close());
  const jwts = createGuard(optionsFor(unsupported.url, { cacheTtl: 0 }));
  expectDetail(t, await rejection(t, jwts.verify(requestWith('opaque-token'))), 'ERR_INTROSPECTION_TOKEN_UNSUPPORTED', /answered unsupported_token_type/, []);
});

test('format, size and credential rejections say what was looked at', async (t) => {
  const guard = guardOf({ maxTokenLength: 100 });
  expectDetail(t, await rejection(t, guard.verify({ method: 'GET', url: URL_, headers: {} })), 'ERR_CREDENTIALS_MISSING', /^no access token in header \(tokenLocations\); Authorization schemes read: Bearer, DPoP$/, []);
  expectDetail(t, await rejection(t, guard.verify(requestWith('x'.repeat(150)))), 'ERR_TOKEN_TOO_LONG', /^150 characters, more than maxTokenLength 100$/, []);
  expectDetail(t, await rejection(t, guard.verify(requestWith('opaque-token'))), 'ERR_TOKEN_FORMAT_UNSUPPORTED', /^a token of 1 segment \(opaque\?\) and "introspection" is not set$/, ['opaque-token']);
  expectDetail(t, await rejection(t, guard.verify(requestWith('a.b.c.d.e'))), 'ERR_TOKEN_FORMAT_UNSUPPORTED', /^a five-segment token \(JWE\) and "encryptedTokens" is not set$/, []);
  expectDetail(t, await rejection(t, guard.verify(requestWith('a.b.c'))), 'ERR_TOKEN_FORMAT_UNSUPPORTED', /^three segments, but the header is not/, []);
  expectDetail(t, await rejection(t, guard.verify(requestWith('a.b'))), 'ERR_TOKEN_FORMAT_UNSUPPORTED', /^a token of 2 segments/, []);
  const both = guardOf({ tokenLocations: ['header', 'query'] });
  const twice = { method: 'GET', url: `${URL_}?access_token=abc`, headers: { authorization: 'Bearer abc', host: 'api.example.test' } };
  expectDetail(t, await rejection(t, both.verify(twice)), 'ERR_REQUEST_MULTIPLE_METHODS', /^a token in each of: header, query/, []);
});

test('route requirements name what the route needs, never the token\'s other claims', async (t) => {
  const guard = guardOf();
  const auth: AuthContext = await guard.verify(requestWith(await issuer.sign({ scope: 'orders:read', acr: 'pwd', auth_time: nowSeconds() - 7200, tenant: 'globex' })));
  const reject = (requirement: Parameters<typeof guard.authorize>[1]) => {
    try {
      guard.authorize(auth, requirement);
    } catch (error) {
      return error as GuardError;
    }
    throw new Error('the requirement passed');
  };
  expectDetail(t, reject(requireScopes('orders:read', 'orders:write')), 'ERR_SCOPE_INSUFFICIENT', /^requireScopes\(\): the token lacks \["orders:write"\] of \["orders:read", "orders:write"\]$/, []);
  expectDetail(t, reject(requireAnyScope('admin', 'orders:write')), 'ERR_SCOPE_INSUFFICIENT', /^requireAnyScope\(\): the token has none of \["admin", "orders:write"\]$/, []);
  expectDetail(t, reject(requireClaims({ tenant: 'acme' })), 'ERR_CLAIMS_INSUFFICIENT', /^requireClaims\(\): claim "tenant" has another value$/, ['globex']);
  expectDetail(t, reject(requireClaims({ region: 'eu' })), 'ERR_CLAIMS_INSUFFICIENT', /^requireClaims\(\): claim "region" is absent$/, []);
  expectDetail(t, reject(requireAuthentication({ acrValues: ['mfa'] })), 'ERR_USER_AUTHENTICATION_INSUFFICIENT', /^requireAuthentication\(\): acr "pwd" is not one of acrValues: \["mfa"\]$/, []);
  expectDetail(t, reject(requireAuthentication({ maxAge: 60 })), 'ERR_USER_AUTHENTICATION_INSUFFICIENT', /^requireAuthentication\(\): auth_time \d+ is older than maxAge 60 s$/, []);
});
