/**
 * LemonLDAP::NG (Debian's `liblemonldap-ng-portal-perl`): the portal's PSGI app under `plackup`,
 * with a file-based configuration (Demo users, an OpenID Connect issuer, its relying parties) and
 * every store in a temporary directory. JWT access tokens (`typ: JWT`, `client_id`, `jti`, `aud` =
 * the client plus its additional audiences) checked locally and by RFC 7662 introspection (Basic
 * and POST credentials), its ID token, another client's token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { GuardOptions } from '@resource-guard/core';
import { debianVersion, freePort, runServerSubject, startServerProcess } from '../processes.js';
import type { InteropCase, InteropSubject, StartedSubject } from '../types.js';

const PORTAL_PSGI = '/usr/share/lemonldap-ng/portal/htdocs/index.psgi';
const BASE_CONFIG = '/var/lib/lemonldap-ng/conf/lmConf-1.json';
const AUDIENCE = 'https://api.example.test';
const PACKAGES = 'liblemonldap-ng-portal-perl libplack-perl libgd-securityimage-perl libimage-magick-perl libstring-random-perl libio-string-perl libcrypt-openssl-bignum-perl';

interface Client { clientId: string; clientSecret: string }
const CLIENTS = {
  api: { clientId: 'api-client', clientSecret: 'api-client-secret-0123456789' },
  other: { clientId: 'other-client', clientSecret: 'other-client-secret-0123456789' },
  rs: { clientId: 'resource-server', clientSecret: 'resource-server-secret-0123456789' },
  opaque: { clientId: 'opaque-client', clientSecret: 'opaque-client-secret-0123456789' },
} satisfies Record<string, Client>;

export const lemonLdapNg: InteropSubject = {
  name: 'LemonLDAP::NG',
  install: `sudo apt-get install -y ${PACKAGES}`,
  versions() {
    const version = debianVersion('liblemonldap-ng-portal-perl');
    return version === undefined || debianVersion('libplack-perl') === undefined || !fs.existsSync(BASE_CONFIG)
      ? undefined
      : { 'LemonLDAP::NG': version };
  },
  start: startLemonLdap,
};

function writeConfig(dir: string, portal: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const store = (name: string) => {
    fs.mkdirSync(path.join(dir, name, 'lock'), { recursive: true });
    return { Directory: path.join(dir, name), LockDirectory: path.join(dir, name, 'lock') };
  };
  const cache = (namespace: string) => ({ namespace, default_expires_in: 600, directory_umask: '007', cache_root: path.join(dir, 'cache'), cache_depth: 3 });
  const rp = (client: Client, extra: Record<string, unknown> = {}) => ({
    oidcRPMetaDataOptionsClientID: client.clientId,
    oidcRPMetaDataOptionsClientSecret: client.clientSecret,
    oidcRPMetaDataOptionsAllowClientCredentialsGrant: 1,
    oidcRPMetaDataOptionsAccessTokenJWT: 1,
    oidcRPMetaDataOptionsIDTokenSignAlg: 'RS256',
    oidcRPMetaDataOptionsAccessTokenSignAlg: 'RS256',
    oidcRPMetaDataOptionsBypassConsent: 1,
    oidcRPMetaDataOptionsRedirectUris: 'http://127.0.0.1/callback',
    ...extra,
  });
  const base = JSON.parse(fs.readFileSync(BASE_CONFIG, 'utf8')) as Record<string, unknown>;
  // Account registration loads an SMTP module (MIME::Entity, not a dependency of the portal package).
  delete base.registerDB;
  const config = {
    ...base,
    cfgNum: 1,
    portal,
    domain: '127.0.0.1',
    globalStorageOptions: { ...store('sessions'), generateModule: 'Lemonldap::NG::Common::Apache::Session::Generate::SHA256' },
    persistentStorageOptions: store('psessions'),
    localSessionStorageOptions: cache('lemonldap-ng-sessions'),
    notificationStorageOptions: { dirName: path.join(dir, 'notifications') },
    notification: 0,
    portalDisplayRegister: 0,
    issuerDBOpenIDConnectActivation: 1,
    oidcServicePrivateKeySig: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    oidcServicePublicKeySig: publicKey.export({ type: 'spki', format: 'pem' }),
    oidcServiceKeyIdSig: 'interop',
    oidcRPMetaDataOptions: {
      api: rp(CLIENTS.api, { oidcRPMetaDataOptionsAdditionalAudiences: AUDIENCE, oidcRPMetaDataOptionsAllowPasswordGrant: 1 }),
      other: rp(CLIENTS.other, { oidcRPMetaDataOptionsAdditionalAudiences: 'https://other-api.example.test' }),
      rs: rp(CLIENTS.rs),
      opaque: rp(CLIENTS.opaque, { oidcRPMetaDataOptionsAccessTokenJWT: 0 }),
    },
    oidcRPMetaDataExportedVars: { api: { email: 'mail', name: 'cn' }, other: {}, rs: {}, opaque: {} },
  };
  fs.mkdirSync(path.join(dir, 'conf'));
  fs.mkdirSync(path.join(dir, 'notifications'));
  fs.writeFileSync(path.join(dir, 'conf', 'lmConf-1.json'), JSON.stringify(config, null, 1));
  const ini = path.join(dir, 'lemonldap-ng.ini');
  fs.writeFileSync(ini, [
    '[all]', 'logLevel = warn', 'checkTime = 1',
    '[configuration]', 'type = File', `dirName = ${path.join(dir, 'conf')}`,
    'localStorage = Cache::FileCache',
    `localStorageOptions = { 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, 'cache_root' => '${path.join(dir, 'cache')}', 'cache_depth' => 3 }`,
    '[portal]', 'staticPrefix = /static', 'templateDir = /usr/share/lemonldap-ng/portal/templates', 'languages = en',
    '',
  ].join('\n'));
  return ini;
}

async function startLemonLdap(): Promise<StartedSubject> {
  const port = await freePort();
  return runServerSubject('llng', (dir) => {
    const ini = writeConfig(dir, `http://127.0.0.1:${port}/`);
    return startServerProcess('plackup', ['-s', 'HTTP::Server::PSGI', '--host', '127.0.0.1', '--port', String(port), PORTAL_PSGI],
      /Accepting connections at/, { env: { ...process.env, LLNG_DEFAULTCONFFILE: ini }, cwd: dir });
  }, () => lemonLdapCases(`http://127.0.0.1:${port}`));
}

async function tokenRequest(base: string, client: Client, params: Record<string, string>): Promise<Record<string, string>> {
  const response = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
    body: new URLSearchParams(params),
  });
  if (!response.ok) throw new Error(`LemonLDAP::NG token endpoint answered ${response.status}: ${await response.text()}`);
  return await response.json() as Record<string, string>;
}

async function lemonLdapCases(base: string): Promise<InteropCase[]> {
  const metadata = await (await fetch(`${base}/.well-known/openid-configuration`)).json() as { issuer: string };
  const issuer = metadata.issuer;
  const clientToken = async (client: Client) => (await tokenRequest(base, client, { grant_type: 'client_credentials', scope: 'read' })).access_token!;
  const password = await tokenRequest(base, CLIENTS.api, { grant_type: 'password', username: 'dwho', password: 'dwho', scope: 'openid email read' });
  // LemonLDAP::NG's access tokens are `typ: JWT` (RFC 9068's claims are all there, `sub` = the client's id under client credentials).
  const jwt: GuardOptions = { issuer, audience: AUDIENCE, allowGenericJwtTyp: true };
  const introspecting = (introspection: NonNullable<GuardOptions['introspection']>, client = CLIENTS.api): GuardOptions => ({
    ...jwt,
    introspection: {
      clientId: CLIENTS.rs.clientId, clientSecret: CLIENTS.rs.clientSecret, allowMissingAudience: true, ...introspection,
    },
    validators: { client_id: (value) => value === client.clientId },
  });
  const fresh = () => clientToken(CLIENTS.api);
  return [
    { flow: 'client credentials · JWT (discovery, JWKS)', expected: '200', guard: jwt, token: fresh, note: '`typ: JWT`: `allowGenericJwtTyp`' },
    { flow: 'password grant · JWT with `sub`', expected: '200', guard: jwt, token: password.access_token! },
    { flow: 'opaque · introspection (Basic)', expected: '200', guard: introspecting({}, CLIENTS.opaque), token: () => clientToken(CLIENTS.opaque),
      note: 'answers carry no `aud`: `allowMissingAudience` and a `client_id` validator' },
    { flow: 'opaque · introspection (client_secret_post)', expected: '200', guard: introspecting({ clientAuth: 'client_secret_post' }, CLIENTS.opaque),
      token: () => clientToken(CLIENTS.opaque) },
    { flow: 'JWT via introspection (Basic)', expected: '200', guard: introspecting({ introspectJwts: true }), token: fresh },
    { flow: 'another client\'s token (other audience)', expected: 'ERR_TOKEN_AUDIENCE_INVALID', guard: jwt, token: () => clientToken(CLIENTS.other) },
    { flow: 'another client\'s token · introspection', expected: 'ERR_TOKEN_VALIDATOR_FAILED', guard: introspecting({ introspectJwts: true }), token: () => clientToken(CLIENTS.other) },
    { flow: 'ID token', expected: 'ERR_TOKEN_ID_TOKEN', guard: jwt, token: password.id_token!,
      note: 'the additional audiences are put into ID tokens too' },
  ];
}
