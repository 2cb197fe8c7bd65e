/**
 * django-oauth-toolkit (Debian's `python3-django-oauth-toolkit`): a one-file Django project
 * (dot-project.py) with SQLite in a temporary directory, served by the standard library's WSGI
 * server. Opaque access tokens checked by RFC 7662 introspection with each client authentication
 * DOT takes (Basic, `client_secret_post`, a Bearer token with the `introspection` scope), a revoked
 * token, an RS256 ID token from a real authorization-code flow, another client's token, and
 * discovery under the issuer DOT names.
 */
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import type { GuardOptions } from '@resource-guard/core';
import { debianVersion, freePort, runCommand, runServerSubject, startServerProcess } from '../processes.js';
import type { InteropCase, InteropSubject, StartedSubject } from '../types.js';

/** Debian's interpreter: the package installs into its dist-packages, not into a pyenv/venv python. */
const PYTHON = '/usr/bin/python3';
const PROJECT = path.join(import.meta.dirname, 'dot-project.py');
const AUDIENCE = 'https://api.example.test';

interface Client { clientId: string; clientSecret: string }
interface Setup { clients: Record<'api-client' | 'other-client' | 'resource-server' | 'web-app', Client>; code: string; redirectUri: string }

export const djangoOauthToolkit: InteropSubject = {
  name: 'django-oauth-toolkit',
  install: 'sudo apt-get install -y python3-django-oauth-toolkit',
  versions() {
    const version = debianVersion('python3-django-oauth-toolkit');
    return version === undefined || !fs.existsSync(PYTHON) ? undefined : { 'django-oauth-toolkit': version, django: debianVersion('python3-django') ?? '?' };
  },
  start: startDot,
};

async function startDot(): Promise<StartedSubject> {
  let setup: Setup;
  return runServerSubject('dot', async (dir) => {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    fs.writeFileSync(path.join(dir, 'oidc.key'), key);
    setup = JSON.parse(runCommand(PYTHON, [PROJECT, dir, 'setup'])) as Setup;
    return startServerProcess(PYTHON, [PROJECT, dir, 'serve', String(await freePort())], /listening on (\d+)/);
  }, (server) => dotCases(`http://127.0.0.1:${server.ready[1]}/o`, setup));
}

async function tokenRequest(base: string, client: Client, params: Record<string, string>): Promise<Record<string, string>> {
  const response = await fetch(`${base}/token/`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams(params),
  });
  if (!response.ok) throw new Error(`django-oauth-toolkit token endpoint answered ${response.status}: ${await response.text()}`);
  return await response.json() as Record<string, string>;
}

async function dotCases(base: string, setup: Setup): Promise<InteropCase[]> {
  const { clients } = setup;
  const clientToken = async (client: Client, scope = 'read') => (await tokenRequest(base, client, { grant_type: 'client_credentials', scope })).access_token!;
  const introspectorToken = await clientToken(clients['resource-server'], 'introspection');
  const codeAnswer = await tokenRequest(base, clients['web-app'], { grant_type: 'authorization_code', code: setup.code, redirect_uri: setup.redirectUri });
  const revoked = await clientToken(clients['api-client']);
  const revocation = await fetch(`${base}/revoke_token/`, {
    method: 'POST',
    body: new URLSearchParams({ token: revoked, client_id: clients['api-client'].clientId, client_secret: clients['api-client'].clientSecret }),
  });
  if (!revocation.ok) throw new Error(`django-oauth-toolkit revocation answered ${revocation.status}`);

  const rs = clients['resource-server'];
  // DOT's answers carry no `aud` (nor `iss`, `sub`): allowMissingAudience is the documented opt-in,
  // and a validator on `client_id` is what keeps other clients' tokens out.
  const introspecting = (introspection: NonNullable<GuardOptions['introspection']>, client = clients['api-client']): GuardOptions => ({
    issuer: base,
    audience: AUDIENCE,
    introspection: { endpoint: `${base}/introspect/`, allowMissingAudience: true, ...introspection },
    validators: { client_id: (value) => value === client.clientId },
  });
  const basic = introspecting({ clientId: rs.clientId, clientSecret: rs.clientSecret });
  const fresh = () => clientToken(clients['api-client']);
  return [
    { flow: 'opaque · introspection (Basic)', expected: '200', guard: basic, token: fresh },
    { flow: 'opaque · introspection (client_secret_post)', expected: '200', token: fresh,
      guard: introspecting({ clientId: rs.clientId, clientSecret: rs.clientSecret, clientAuth: 'client_secret_post' }) },
    { flow: 'opaque · introspection (Bearer)', expected: '200', token: fresh,
      guard: introspecting({ clientAuth: 'bearer', bearerToken: introspectorToken }),
      note: 'a token of the resource server with the `introspection` scope' },
    { flow: 'a user\'s token (authorization code)', expected: '200', token: codeAnswer.access_token!,
      guard: introspecting({ clientId: rs.clientId, clientSecret: rs.clientSecret }, clients['web-app']),
      checkAuth: (auth) => auth.clientId !== 'web-app' ? 'auth.clientId is not the client'
      : auth.subject !== undefined ? 'a subject was guessed' : auth.username === undefined ? 'auth.username is missing' : undefined,
      note: 'the answer names the user in `username` (`auth.username`), no `sub`: `auth.subject` stays undefined' },
    { flow: 'revoked token', expected: 'ERR_INTROSPECTION_INACTIVE', guard: basic, token: revoked },
    { flow: 'another client\'s token', expected: 'ERR_TOKEN_VALIDATOR_FAILED', guard: basic, token: () => clientToken(clients['other-client']),
      note: 'answers carry no `aud`: only a `client_id` validator tells' },
    { flow: 'without allowMissingAudience', expected: 'ERR_INTROSPECTION_AUDIENCE_MISSING', token: fresh,
      guard: { ...basic, introspection: { ...basic.introspection, allowMissingAudience: false } } },
    { flow: 'ID token (RS256, JWKS)', expected: 'ERR_JWT_TYP_INVALID', token: codeAnswer.id_token!,
      guard: { issuer: base, audience: AUDIENCE, jwksUri: `${base}/.well-known/jwks.json` }, note: '`typ: JWT`, refused before any key is fetched' },
    { flow: 'ID token (RS256, JWKS, allowGenericJwtTyp)', expected: 'ERR_TOKEN_ID_TOKEN', token: codeAnswer.id_token!,
      guard: { issuer: base, audience: AUDIENCE, jwksUri: `${base}/.well-known/jwks.json`, allowGenericJwtTyp: true } },
    { flow: 'ID token via introspection', expected: 'ERR_INTROSPECTION_INACTIVE', token: codeAnswer.id_token!,
      guard: { ...basic, introspection: { ...basic.introspection, introspectJwts: true } } },
    { flow: 'discovery (issuer only, ID token)', expected: 'ERR_TOKEN_ID_TOKEN', token: codeAnswer.id_token!,
      guard: { issuer: base, audience: AUDIENCE, allowGenericJwtTyp: true },
      note: 'metadata only at `…/openid-configuration/`: the standard URL\'s same-origin 301 is followed' },
  ];
}
