/**
 * Per provider: a locally served issuer laid out as the provider's (the form of `iss`, discovery
 * under it, the key-set path), a token of the provider's documented shape accepted under its
 * profile and refused under the default one, and the provider's ID token refused under its profile.
 */
import test from 'ava';
import { createGuard, type GuardOptions } from '@resource-guard/core';
import { bearerRequest, rejectionOf, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';
import { PROVIDER_SHAPES, type ProviderShape } from '../helpers/provider-shapes.js';

const quiet = { warn() {}, error() {} };
const request = bearerRequest;
// The mock issuer's RFC 9068 defaults, removed so that a token carries exactly the provider's claims.
const NO_DEFAULTS = { sub: undefined, client_id: undefined, aud: undefined, jti: undefined, scope: undefined };

const signShape = (issuer: MockIssuer, claims: Record<string, unknown>, header: Record<string, unknown>) =>
  issuer.sign({ ...NO_DEFAULTS, ...claims }, { header });

function guardFor(issuer: MockIssuer, shape: ProviderShape, options: Partial<GuardOptions> = {}) {
  return createGuard({ issuer: issuer.issuer, audience: shape.audience, logger: quiet, ...(options.profile === undefined ? {} : shape.options), ...options });
}

// What only ID tokens carry, besides a type claim that says so.
const ID_ONLY = { nonce: undefined, at_hash: undefined, c_hash: undefined, auth_time: undefined };

for (const shape of PROVIDER_SHAPES) {
  test(`${shape.profile}: its access token passes under profile "${shape.profile}", with its client id and scopes`, async (t) => {
    const issuer = await startMockIssuer('RS256', shape.layout);
    try {
      const guard = guardFor(issuer, shape, { profile: shape.profile });
      const auth = await guard.verify(request(await signShape(issuer, shape.access, shape.accessHeader)));
      t.is(auth.issuer, issuer.issuer);
      t.is(auth.clientId, shape.clientId);
      t.deepEqual(auth.scopes, shape.scopes);
      // Discovery was found where the provider serves it, and the keys at the provider's path.
      t.is(issuer.hits.discovery, 1);
      t.is(issuer.hits.jwks, 1);
      t.is(issuer.hits.other, 0);
    } finally {
      await issuer.close();
    }
  });

  test(`${shape.profile}: its access token is refused under the default profile`, async (t) => {
    const issuer = await startMockIssuer('RS256', shape.layout);
    try {
      const token = await signShape(issuer, shape.access, shape.accessHeader);
      const error = await rejectionOf(guardFor(issuer, shape).verify(request(token)));
      t.is(error.code, shape.defaultCode);
      t.is(error.status, 401);
      t.regex(error.detail ?? '', shape.defaultFix);
      t.false(error.detail!.includes(token.slice(token.lastIndexOf('.') + 1)), 'no part of the token in the detail');
    } finally {
      await issuer.close();
    }
  });

  test(`${shape.profile}: its ID token is refused under profile "${shape.profile}"`, async (t) => {
    const issuer = await startMockIssuer('RS256', shape.layout);
    try {
      // The client's id among the audiences, as a misconfigured API might have it: what the token
      // carries, not the audience, must keep the ID token out.
      const clientAudience = shape.id.aud as string | string[];
      const audience = [shape.audience, ...[clientAudience].flat()];
      const guard = guardFor(issuer, shape, { profile: shape.profile, audience });
      const error = await rejectionOf(guard.verify(request(await signShape(issuer, shape.id, shape.idHeader))));
      t.is(error.code, shape.idCode);
      // The detail says what the token is and what the API needs, and advises no relaxation.
      t.regex(error.detail ?? '', shape.idCode === 'ERR_TOKEN_ID_TOKEN' ? /is an ID token .*no option admits ID tokens/ : /an ID token\?/);
      t.notRegex(error.detail ?? '', /requiredClaims|allowGenericJwtTyp/);
    } finally {
      await issuer.close();
    }
  });

  test(`${shape.profile}: its ID token without nonce, hashes or auth_time is refused under profile "${shape.profile}"`, async (t) => {
    const issuer = await startMockIssuer('RS256', shape.layout);
    try {
      // Google: a sign-in ID token names the web client in `aud`; only the audience keeps it out.
      const clientAudience = shape.id.aud as string | string[];
      const audience = shape.strippedIdCode === 'ERR_TOKEN_AUDIENCE_INVALID' ? shape.audience : [shape.audience, ...[clientAudience].flat()];
      const guard = guardFor(issuer, shape, { profile: shape.profile, audience });
      const error = await rejectionOf(guard.verify(request(await signShape(issuer, { ...shape.id, ...ID_ONLY }, shape.idHeader))));
      t.is(error.code, shape.strippedIdCode);
      t.notRegex(error.detail ?? '', /requiredClaims|allowGenericJwtTyp/);
    } finally {
      await issuer.close();
    }
  });
}
