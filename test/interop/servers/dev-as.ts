/**
 * Our dev authorization server (oidc-provider, tools/dev-authorization-server), in the same
 * matrix as the others: RFC 9068 JWT access tokens, opaque tokens by introspection (JSON and
 * RFC 9701), DPoP-bound tokens of both kinds, a revoked token, its ID token, a token for another
 * resource. Tokens come from oauth4webapi, the ID token from a real authorization-code flow.
 */
import { createRequire } from 'node:module';
import * as oauth from 'oauth4webapi';
import type { GuardOptions } from '@resource-guard/core';
import { clientOf, getToken, insecure, revoke, startDevAs, type DevAs } from '../../helpers/dev-as.js';
import { clientHandle } from '../../helpers/dpop.js';
import { authorizeAtDevAs } from '../../helpers/token-handler.js';
import type { InteropCase, InteropSubject, StartedSubject } from '../types.js';

export const devAuthorizationServer: InteropSubject = {
  name: 'dev AS (oidc-provider)',
  install: 'npm install (a dev dependency)',
  versions() {
    const require = createRequire(import.meta.url);
    const pkg = require('oidc-provider/package.json') as { version: string };
    return { 'oidc-provider': pkg.version, oauth4webapi: (require('oauth4webapi/package.json') as { version: string }).version };
  },
  async start(): Promise<StartedSubject> {
    const dev = await startDevAs();
    try {
      return { cases: await devAsCases(dev), close: () => dev.close() };
    } catch (error) {
      await dev.close();
      throw error;
    }
  },
};

/** An ID token of `web-client` for alice (authorization code + PKCE, the sign-in form posted). */
async function getIdToken(dev: DevAs): Promise<string> {
  const c = dev.server.clients.web;
  const verifier = oauth.generateRandomCodeVerifier();
  const redirectUri = 'http://127.0.0.1/';
  const url = new URL(dev.as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: c.clientId, response_type: 'code', scope: 'openid orders:read', redirect_uri: redirectUri,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  }).toString();
  const callback = new URL(await authorizeAtDevAs(url.href));
  const client = clientOf(c);
  const params = oauth.validateAuthResponse(dev.as, client, callback, oauth.skipStateCheck);
  const response = await oauth.authorizationCodeGrantRequest(dev.as, client, oauth.ClientSecretBasic(c.clientSecret), params, redirectUri, verifier, insecure);
  const result = await oauth.processAuthorizationCodeResponse(dev.as, client, response);
  if (result.id_token === undefined) throw new Error('the dev AS issued no ID token');
  return result.id_token;
}

async function devAsCases(dev: DevAs): Promise<InteropCase[]> {
  const { clients, resources, issuer } = dev.server;
  const rs = clients.resourceServer;
  const jwt: GuardOptions = { issuer, audience: resources.jwt };
  const opaque: GuardOptions = { issuer, audience: resources.opaque, introspection: { clientId: rs.clientId, clientSecret: rs.clientSecret } };
  const token = (resource: string, DPoP?: oauth.DPoPHandle) => async () =>
    (await getToken(dev, clients.demo, { scope: 'orders:read', resource, DPoP })).access_token;
  const revoked = await token(resources.opaque)();
  await revoke(dev, clients.demo, revoked);
  const jwtKey = await clientHandle();
  const opaqueKey = await clientHandle();
  const otherKey = await clientHandle();
  const idToken = await getIdToken(dev);
  return [
    { flow: 'client credentials · JWT (at+jwt, discovery, JWKS)', expected: '200', guard: jwt, token: token(resources.jwt) },
    { flow: 'opaque · introspection (Basic)', expected: '200', guard: opaque, token: token(resources.opaque) },
    { flow: 'opaque · introspection (client_secret_post)', expected: '200', token: token(resources.opaque),
      guard: { ...opaque, introspection: { ...opaque.introspection, clientAuth: 'client_secret_post' } } },
    { flow: 'opaque · RFC 9701 JWT introspection answer', expected: '200', token: token(resources.opaque),
      guard: { ...opaque, introspection: { ...opaque.introspection, jwtResponse: true } } },
    { flow: 'DPoP-bound JWT (cnf.jkt)', expected: '200', guard: { ...jwt, dpop: true }, token: token(resources.jwt, jwtKey.handle), dpop: jwtKey.handle },
    { flow: 'DPoP-bound opaque token (introspection cnf.jkt)', expected: '200', guard: { ...opaque, dpop: true },
      token: token(resources.opaque, opaqueKey.handle), dpop: opaqueKey.handle },
    { flow: 'DPoP-bound JWT sent as Bearer', expected: 'ERR_DPOP_BEARER_DOWNGRADE', guard: { ...jwt, dpop: true },
      token: token(resources.jwt, otherKey.handle) },
    { flow: 'revoked token', expected: 'ERR_INTROSPECTION_INACTIVE', guard: opaque, token: revoked },
    { flow: 'another resource\'s token', expected: 'ERR_TOKEN_AUDIENCE_INVALID', guard: jwt, token: token('http://127.0.0.1:1/other-api') },
    { flow: 'ID token', expected: 'ERR_JWT_TYP_INVALID', guard: jwt, token: idToken, note: 'RS256/ES256 `typ: JWT`: refused by `typ`' },
    { flow: 'ID token (allowGenericJwtTyp)', expected: 'ERR_TOKEN_AUDIENCE_INVALID', guard: { ...jwt, allowGenericJwtTyp: true }, token: idToken,
      note: '`aud` = the client' },
    { flow: 'ID token (allowGenericJwtTyp, audience includes the client id)', expected: 'ERR_TOKEN_CLAIM_MISSING', token: idToken,
      guard: { ...jwt, audience: [resources.jwt, clients.web.clientId], allowGenericJwtTyp: true },
      note: 'no `client_id`/`jti` (RFC 9068 §2.2)' },
  ];
}
