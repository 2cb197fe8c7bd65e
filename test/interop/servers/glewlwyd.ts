/**
 * Glewlwyd (Debian's `glewlwyd`): the server as a child process with Debian's configuration file
 * (port, external URL and a SQLite database from the package's init script swapped in), then set
 * up through its admin API as the administrator would: scopes, an OpenID Connect plugin instance
 * (RS256 keys, resource indicators, DPoP, introspection), clients and a user. `at+jwt` access
 * tokens (with `cnf.jkt` under DPoP), RFC 7662 with Basic and with a Bearer token carrying the
 * introspection scope, RFC 9701 answers, a revoked token, its ID token, another audience's token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { GuardOptions } from '@resource-guard/core';
import { clientHandle } from '../../helpers/dpop.js';
import { freePort, runCommand, runServerSubject, startServerProcess, waitForHttp } from '../processes.js';
import type { InteropCase, InteropSubject, StartedSubject } from '../types.js';

const BINARY = '/usr/bin/glewlwyd';
const CONFIG = '/etc/glewlwyd/glewlwyd.conf';
const INIT_SQL = '/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz';
const AUDIENCE = 'https://api.example.test';
const OTHER_AUDIENCE = 'https://other-api.example.test';
/** The administrator the package's init script creates (its documented first-login password). */
const ADMIN = { username: 'admin', password: 'password' };
const USER = { username: 'alice', password: 'alice-password-0123' };

interface Client { clientId: string; clientSecret: string }
const CLIENTS = {
  api: { clientId: 'api-client', clientSecret: 'api-client-secret-0123456789' },
  other: { clientId: 'other-client', clientSecret: 'other-client-secret-0123456789' },
  rs: { clientId: 'resource-server', clientSecret: 'resource-server-secret-0123456789' },
} satisfies Record<string, Client>;

export const glewlwyd: InteropSubject = {
  name: 'Glewlwyd',
  // Its postinst fails without a database configuration, but the binaries are installed.
  install: 'sudo apt-get install -y glewlwyd dbconfig-no-thanks',
  versions() {
    // dpkg may list it as half-configured (see `install`): the binary and the files are what count.
    const result = runQuiet('dpkg-query', ['-W', '-f=${Version}', 'glewlwyd']);
    return result === undefined || !fs.existsSync(BINARY) || !fs.existsSync(CONFIG) || !fs.existsSync(INIT_SQL)
      ? undefined
      : { Glewlwyd: result };
  },
  start: startGlewlwyd,
};

function runQuiet(command: string, args: string[]): string | undefined {
  try {
    return runCommand(command, args).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function startGlewlwyd(): Promise<StartedSubject> {
  const port = await freePort();
  const api = `http://127.0.0.1:${port}/api`;
  return runServerSubject('glewlwyd', async (dir) => {
    const database = path.join(dir, 'glewlwyd.db');
    runCommand('/usr/bin/python3', ['-c', 'import gzip, sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(gzip.open(sys.argv[2], "rt").read())', database, INIT_SQL]);
    const config = fs.readFileSync(CONFIG, 'utf8')
      .replace(/^port=.*$/m, `port=${port}`)
      .replace(/^external_url=.*$/m, `external_url="http://127.0.0.1:${port}/"`)
      .replace(/^log_mode=.*$/m, 'log_mode="console"')
      .replace(/^log_level=.*$/m, `log_level="${process.env.INTEROP_DEBUG === undefined ? 'INFO' : 'DEBUG'}"`)
      .replace(/^@include .*glewlwyd-db\.conf.*$/m, `database = { type = "sqlite3"; path = "${database}"; };`);
    fs.writeFileSync(path.join(dir, 'glewlwyd.conf'), config);
    return startServerProcess(BINARY, ['-c', path.join(dir, 'glewlwyd.conf')], /Glewlwyd started on port/);
  }, async (server) => {
    await waitForHttp(`${api}/oidc/.well-known/openid-configuration`, server);
    await configure(api);
    return glewlwydCases(api);
  });
}

/** The admin API calls an administrator makes in the web UI. */
async function configure(api: string): Promise<void> {
  const login = await fetch(`${api}/auth/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (!login.ok) throw new Error(`Glewlwyd admin login answered ${login.status}`);
  const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  const admin = async (route: string, body: unknown) => {
    const response = await fetch(`${api}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`Glewlwyd admin POST ${route} answered ${response.status}: ${await response.text()}`);
  };
  for (const name of ['read', 'other', 'introspect']) {
    await admin('/scope/', { name, display_name: name, description: name, password_required: false, password_max_age: 0, scheme: {} });
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await admin('/mod/plugin/', {
    module: 'oidc', name: 'oidc', display_name: 'OpenID Connect', enabled: true,
    parameters: {
      iss: `${api}/oidc`, 'jwt-type': 'rsa', 'jwt-key-size': '256',
      key: privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: publicKey.export({ type: 'spki', format: 'pem' }),
      'access-token-duration': 3600, 'refresh-token-duration': 1209600, 'code-duration': 600,
      // Client credentials and the password grant are "non-OIDC" OAuth 2.0 flows: off unless allowed.
      'allow-non-oidc': true, 'auth-type-client-enabled': true, 'auth-type-password-enabled': true, 'auth-type-code-enabled': true,
      'auth-type-refresh-enabled': true, 'allowed-scope': ['openid', 'read', 'other', 'introspect'],
      'introspection-revocation-allowed': true, 'introspection-revocation-auth-scope': ['introspect'], 'introspection-revocation-allow-target-client': true,
      'oauth-dpop-allowed': true, 'oauth-dpop-iat-duration': 60,
      'resource-allowed': true, 'resource-scope': { read: [AUDIENCE], other: [OTHER_AUDIENCE] },
    },
  });
  for (const c of Object.values(CLIENTS)) {
    await admin('/client/', {
      client_id: c.clientId, name: c.clientId, confidential: true, password: c.clientSecret, enabled: true,
      // Without it, the token endpoint refuses every confidential client ("client_id invalid").
      token_endpoint_auth_method: ['client_secret_basic', 'client_secret_post'],
      authorization_type: ['client_credentials', 'password', 'refresh_token'], scope: ['openid', 'read', 'other', 'introspect'],
      redirect_uri: ['http://127.0.0.1/callback'],
    });
  }
  await admin('/user/', { ...USER, name: 'Alice', email: 'alice@example.test', scope: ['openid', 'read'], enabled: true });
}

async function glewlwydCases(api: string): Promise<InteropCase[]> {
  const issuer = new URL(`${api}/oidc`);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', [oauth.allowInsecureRequests]: true }));
  // oauth4webapi's ClientSecretBasic percent-encodes `-` (`resource%2Dserver`), which Glewlwyd does
  // not decode: plain `id:secret` here, as RFC 6749 §2.3.1's form encoding leaves `-` alone.
  const basic = (c: Client): oauth.ClientAuth => (_as, _client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`);
  };
  const grant = async (c: Client, params: Record<string, string>, DPoP?: oauth.DPoPHandle) => {
    const client = { client_id: c.clientId };
    const response = await oauth.genericTokenEndpointRequest(as, client, basic(c), params.grant_type!,
      new URLSearchParams(Object.entries(params).filter(([name]) => name !== 'grant_type')), { DPoP, [oauth.allowInsecureRequests]: true });
    if (!response.ok) throw new Error(`Glewlwyd token endpoint answered ${response.status} to ${JSON.stringify({ ...params, password: undefined })}: ${await response.text()}`);
    return oauth.processGenericTokenEndpointResponse(as, client, response);
  };
  const clientToken = (c: Client, resource: string | null = AUDIENCE, scope = 'read', DPoP?: oauth.DPoPHandle) => async () =>
    (await grant(c, { grant_type: 'client_credentials', scope, ...(resource === null ? {} : { resource }) }, DPoP)).access_token;
  const introspector = await clientToken(CLIENTS.rs, null, 'introspect')();
  const passwordGrant = await grant(CLIENTS.api, { grant_type: 'password', username: USER.username, password: USER.password, scope: 'openid read', resource: AUDIENCE });
  const revokeToken = async (c: Client, token: string) => {
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, { client_id: c.clientId }, basic(c), token, { [oauth.allowInsecureRequests]: true }));
  };
  const revoked = await clientToken(CLIENTS.api)();
  await revokeToken(CLIENTS.api, revoked);
  // What a fixed `bearerToken` becomes after its hour: Glewlwyd refuses it as the caller's credential.
  const deadIntrospector = await clientToken(CLIENTS.rs, null, 'introspect')();
  await revokeToken(CLIENTS.rs, deadIntrospector);
  const key = await clientHandle();

  const jwt: GuardOptions = { issuer: issuer.href, audience: AUDIENCE };
  const rs = CLIENTS.rs;
  const introspecting = (introspection: NonNullable<GuardOptions['introspection']>): GuardOptions => ({
    ...jwt, introspection: { clientId: rs.clientId, clientSecret: rs.clientSecret, introspectJwts: true, ...introspection },
  });
  const fresh = clientToken(CLIENTS.api);
  return [
    { flow: 'client credentials · JWT (at+jwt, discovery, JWKS)', expected: '200', guard: jwt, token: fresh },
    { flow: 'password grant · JWT', expected: 'ERR_TOKEN_AUDIENCE_INVALID', guard: jwt, token: passwordGrant.access_token,
      note: '`resource` is ignored: `aud` is the scope list as one string (`"openid read"`)' },
    { flow: 'JWT via introspection (Basic)', expected: '200', guard: introspecting({}), token: fresh },
    { flow: 'JWT via introspection (Bearer)', expected: '200', token: fresh,
      guard: { ...jwt, introspection: { clientAuth: 'bearer', bearerToken: introspector, introspectJwts: true } }, note: 'a token with the `introspect` scope; it expires (1 h)' },
    { flow: 'JWT via introspection (Bearer credential no longer valid)', expected: 'ERR_INTROSPECTION_CLIENT_REJECTED', token: fresh,
      guard: { ...jwt, introspection: { clientAuth: 'bearer', bearerToken: deadIntrospector, introspectJwts: true } },
      note: 'a fixed `bearerToken` is never renewed: give a function or a grant (next row)' },
    { flow: 'JWT via introspection (Bearer from a client-credentials grant)', expected: '200', token: fresh,
      guard: { ...jwt, introspection: { clientAuth: 'bearer', introspectJwts: true,
        bearerToken: { tokenEndpoint: as.token_endpoint!, clientId: rs.clientId, clientSecret: rs.clientSecret, scope: 'introspect' } } },
      note: 'the guard takes the token itself and renews it before it expires' },
    { flow: 'JWT via introspection (client_secret_post)', expected: '200', guard: introspecting({ clientAuth: 'client_secret_post' }), token: fresh,
      note: 'accepted, though the metadata lists Basic and Bearer only' },
    { flow: 'RFC 9701 JWT introspection answer', expected: 'ERR_INTROSPECTION_JWT_AUDIENCE_INVALID', token: fresh,
      guard: introspecting({ jwtResponse: true }), note: 'the answer\'s `aud` is the token\'s audience, not the caller (RFC 9701 §5)' },
    { flow: 'DPoP-bound JWT (cnf.jkt)', expected: '200', guard: { ...jwt, dpop: true }, token: clientToken(CLIENTS.api, AUDIENCE, 'read', key.handle), dpop: key.handle },
    { flow: 'DPoP-bound JWT sent as Bearer', expected: 'ERR_DPOP_BEARER_DOWNGRADE', guard: { ...jwt, dpop: true }, token: clientToken(CLIENTS.api, AUDIENCE, 'read', key.handle) },
    { flow: 'revoked token (introspection)', expected: 'ERR_INTROSPECTION_INACTIVE', guard: introspecting({}), token: revoked },
    { flow: 'revoked token (JWT checked locally)', expected: '200', guard: jwt, token: revoked,
      note: 'a JWT stays valid until `exp` unless introspected (`introspectJwts`)' },
    { flow: 'another audience\'s token', expected: 'ERR_TOKEN_AUDIENCE_INVALID', guard: jwt, token: clientToken(CLIENTS.other, OTHER_AUDIENCE, 'other') },
    { flow: 'ID token', expected: 'ERR_JWT_TYP_INVALID', guard: jwt, token: passwordGrant.id_token! },
    { flow: 'ID token (allowGenericJwtTyp)', expected: 'ERR_TOKEN_ID_TOKEN', guard: { ...jwt, allowGenericJwtTyp: true }, token: passwordGrant.id_token! },
  ];
}
