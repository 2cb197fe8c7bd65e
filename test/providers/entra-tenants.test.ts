/**
 * Entra ID multi-tenant APIs: issuer templates with `{tenantid}` (v2 and v1 forms), a tenant
 * allow-list or predicate, one shared key set, and `tid` equal to the tenant in `iss`.
 */
import test from 'ava';
import { createGuard, requireScopes, type GuardOptions } from '@resource-guard/core';
import { bearerRequest, rejectionOf, startMockIssuer, useMockIssuer } from '../helpers/issuer.js';

const quiet = { warn() {}, error() {} };
const request = bearerRequest;
const API = 'api://orders';
const LISTED = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER = '9188040d-6c67-4c5b-b112-36a304b66dad';

// One key set for every tenant, as Entra's /common/discovery/v2.0/keys.
const entra = useMockIssuer(test, 'RS256');
const jwksUri = () => `${new URL(entra.jwksUri).origin}/jwks`;
const origin = () => new URL(entra.issuer).origin;
const v2 = (tenant: string) => `${origin()}/${tenant}/v2.0`;

function tenantGuard(tenants: GuardOptions['tenants'] = [LISTED]) {
  return createGuard({
    profile: 'entra', issuer: [`${origin()}/{tenantid}/v2.0`, `${origin()}/sts/{tenantid}/`], tenants, jwksUri: jwksUri(), audience: API, logger: quiet,
  });
}

const v2Token = (tenant: string, tid: unknown = tenant, signer = entra) => signer.sign({
  iss: `${new URL(signer.issuer).origin}/${tenant}/v2.0`, tid, ver: '2.0', azp: 'client-app', scp: 'Orders.Read', aud: API, client_id: undefined, jti: undefined, scope: undefined,
}, { header: { typ: 'JWT' } });

test('a listed tenant is accepted, in the v2 and the v1 issuer form, from the one shared key set', async (t) => {
  // An issuer of its own: its key-set fetches are counted.
  const own = await startMockIssuer('RS256');
  t.teardown(() => own.close());
  const guard = createGuard({
    profile: 'entra', issuer: [`${own.issuer}/{tenantid}/v2.0`, `${own.issuer}/sts/{tenantid}/`], tenants: [LISTED], jwksUri: own.jwksUri, audience: API, logger: quiet,
  });
  const auth = await guard.verify(request(await v2Token(LISTED, LISTED, own)));
  t.is(auth.issuer, `${own.issuer}/${LISTED}/v2.0`);
  t.deepEqual(auth.scopes, ['Orders.Read']);
  const app = await guard.verify(request(await own.sign({
    iss: `${own.issuer}/sts/${LISTED}/`, tid: LISTED, ver: '1.0', appid: 'daemon-app', roles: ['Orders.Read.All'], aud: API, client_id: undefined, jti: undefined, scope: undefined,
  }, { header: { typ: 'JWT' } })));
  t.is(app.clientId, 'daemon-app');
  t.deepEqual(app.scopes, ['Orders.Read.All']);
  t.is(own.hits.jwks, 1, 'both forms share one key set');
  t.is(own.hits.discovery, 0);
});

test('an unlisted tenant is refused before any key is fetched', async (t) => {
  const guard = tenantGuard();
  const before = entra.hits.jwks;
  const error = await rejectionOf(guard.verify(request(await v2Token(OTHER))));
  t.is(error.code, 'ERR_JWT_ISSUER_UNTRUSTED');
  t.true(error.detail!.includes(`${origin()}/{tenantid}/v2.0`), 'the detail names the templates trusted');
  t.true(error.detail!.includes(`it fits issuer template "${origin()}/{tenantid}/v2.0", but its tenant "${OTHER}" is not in "tenants"`), error.detail);
  t.is(entra.hits.jwks, before);
  // An iss that fits no template says nothing about tenants.
  const plain = await rejectionOf(guard.verify(request(await entra.sign({ iss: 'https://elsewhere.test/', aud: API }, { header: { typ: 'JWT' } }))));
  t.is(plain.code, 'ERR_JWT_ISSUER_UNTRUSTED');
  t.false(plain.detail!.includes('fits issuer template'));
});

test('published app-only tokens with no app role (v1 and v2: idtyp app, neither scp nor roles) are access tokens; a scoped route answers 403 saying to assign an app role', async (t) => {
  const guard = tenantGuard();
  const now = Math.floor(Date.now() / 1000);
  // The claims Microsoft documents for app-only tokens (access-token-claims-reference), nothing else.
  const common = {
    iat: now, nbf: now, exp: now + 3599, aio: 'E2ZgYJg1Zf1nXkMq', idtyp: 'app', oid: '5d7a3e4c-0000-4000-8000-00000000a1b2',
    rh: '0.AXEAv4j5cvGGr0GRqy180BHbR-7s', sub: '5d7a3e4c-0000-4000-8000-00000000a1b2', tid: LISTED, uti: 'x8r1FQ2jE0y', aud: API,
    client_id: undefined, jti: undefined, scope: undefined,
  };
  const appV1 = await entra.sign({
    ...common, iss: `${origin()}/sts/${LISTED}/`, idp: `${origin()}/sts/${LISTED}/`, appid: 'daemon-app', appidacr: '1', ver: '1.0',
  }, { header: { typ: 'JWT' } });
  const appV2 = await entra.sign({ ...common, iss: v2(LISTED), azp: 'daemon-app', azpacr: '1', ver: '2.0' }, { header: { typ: 'JWT' } });
  for (const token of [appV1, appV2]) {
    const auth = await guard.verify(request(token));
    t.is(auth.clientId, 'daemon-app');
    t.deepEqual(auth.scopes, []);
    const refused = t.throws(() => guard.authorize(auth, requireScopes('Orders.Read')));
    t.like(refused, { code: 'ERR_SCOPE_INSUFFICIENT', status: 403 });
    t.regex((refused as { detail?: string }).detail ?? '', /carries none until an app role of this API is assigned to the client application/);
  }
});

test('tid other than the tenant in iss is refused', async (t) => {
  const guard = tenantGuard();
  const mismatch = await rejectionOf(guard.verify(request(await v2Token(LISTED, OTHER))));
  t.is(mismatch.code, 'ERR_JWT_TENANT_MISMATCH');
  t.is(mismatch.detail, `claim "tid" "${OTHER}" is not the tenant "${LISTED}" named in iss (issuer templates require them equal)`);
  t.is((await rejectionOf(guard.verify(request(await v2Token(LISTED, null))))).code, 'ERR_JWT_TENANT_MISMATCH');
  t.is((await rejectionOf(guard.verify(request(await entra.sign({ iss: v2(LISTED), tid: undefined, ver: '2.0', azp: 'a', scp: 's', aud: API }, { header: { typ: 'JWT' } }))))).code, 'ERR_JWT_TENANT_MISMATCH');
});

test('iss may not stretch the template: extra segments, other prefixes and suffixes are untrusted', async (t) => {
  const guard = tenantGuard(() => true);
  for (const iss of [
    `${origin()}/${LISTED}/extra/v2.0`, `${origin()}/x/${LISTED}/v2.0`, `${origin()}/${LISTED}/v2.0/`, `${origin()}//v2.0`,
    `${origin()}/${LISTED.toUpperCase()}/v2.0`, `http://127.0.0.2/${LISTED}/v2.0`,
  ]) {
    const token = await entra.sign({ iss, tid: LISTED, ver: '2.0', azp: 'a', scp: 's', aud: API, client_id: undefined }, { header: { typ: 'JWT' } });
    t.is((await rejectionOf(guard.verify(request(token)))).code, 'ERR_JWT_ISSUER_UNTRUSTED', iss);
  }
});

test('a tenant predicate is asked only about GUIDs, and decides', async (t) => {
  const asked: string[] = [];
  const guard = tenantGuard((tenant) => {
    asked.push(tenant);
    return tenant === LISTED;
  });
  await t.notThrowsAsync(guard.verify(request(await v2Token(LISTED))));
  const refused = await rejectionOf(guard.verify(request(await v2Token(OTHER))));
  t.is(refused.code, 'ERR_JWT_ISSUER_UNTRUSTED');
  t.true(refused.detail!.includes(`its tenant "${OTHER}" was refused by the "tenants" function`), refused.detail);
  const notGuid = await rejectionOf(guard.verify(request(await v2Token('contoso.example'))));
  t.is(notGuid.code, 'ERR_JWT_ISSUER_UNTRUSTED');
  t.true(notGuid.detail!.includes('its tenant "contoso.example" is not a tenant id (a lower-case GUID), so the "tenants" function was not asked'), notGuid.detail);
  t.deepEqual(asked, [LISTED, OTHER]);
});

test('listed tenants may be other ids than GUIDs, matched exactly', async (t) => {
  const guard = tenantGuard(['contoso']);
  await t.notThrowsAsync(guard.verify(request(await v2Token('contoso'))));
  t.is((await rejectionOf(guard.verify(request(await v2Token('Contoso'))))).code, 'ERR_JWT_ISSUER_UNTRUSTED');
});

const base = { audience: API, logger: quiet };
const template = 'https://login.microsoftonline.com/{tenantid}/v2.0';
const keys = 'https://login.microsoftonline.com/common/discovery/v2.0/keys';
const bad: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a template without tenants', { issuer: template, jwksUri: keys }, /"tenants" is required/],
  ['a template without jwksUri', { issuer: template, tenants: [LISTED] }, /"jwksUri" is required/],
  ['a template mixed with a plain issuer', { issuer: [template, 'https://as.example.com'], tenants: [LISTED], jwksUri: keys }, /cannot be mixed/],
  ['tenants without a template', { issuer: 'https://as.example.com', tenants: [LISTED] }, /"tenants" needs an "issuer" template/],
  ['an empty tenant list', { issuer: template, tenants: [], jwksUri: keys }, /"tenants"/],
  ['a tenant with a slash', { issuer: template, tenants: ['a/b'], jwksUri: keys }, /"tenants"/],
  ['tenants as a string', { issuer: template, tenants: LISTED, jwksUri: keys }, /"tenants"/],
  ['the placeholder in the host', { issuer: 'https://{tenantid}.example.com/', tenants: [LISTED], jwksUri: keys }, /"issuer" templates/],
  ['the placeholder inside a segment', { issuer: 'https://login.example.com/t-{tenantid}/v2.0', tenants: [LISTED], jwksUri: keys }, /"issuer" templates/],
  ['two placeholders', { issuer: 'https://login.example.com/{tenantid}/{tenantid}', tenants: [LISTED], jwksUri: keys }, /"issuer" templates/],
  ['a plain-http template', { issuer: 'http://login.example.com/{tenantid}/v2.0', tenants: [LISTED], jwksUri: keys }, /"issuer" must use https/],
];
for (const [title, options, message] of bad) {
  test(`createGuard rejects ${title}`, (t) => {
    t.throws(() => createGuard({ ...base, ...options } as unknown as GuardOptions), { instanceOf: TypeError, message });
  });
}

test('RFC 9728 metadata: every template filled with every listed tenant; none for a predicate', async (t) => {
  const { buildProtectedResourceMetadata } = await import('@resource-guard/core');
  const templates = ['https://login.example.com/{tenantid}/v2.0', 'https://sts.example.com/{tenantid}/'];
  const resource = 'https://orders.example.com';
  const options = { profile: 'entra' as const, issuer: templates, jwksUri: 'https://login.example.com/keys', audience: [API, resource], resourceMetadata: { resource } };
  const listed = await buildProtectedResourceMetadata(createGuard({ ...options, tenants: [LISTED, 'contoso'] }));
  t.deepEqual(listed.authorization_servers, [
    `https://login.example.com/${LISTED}/v2.0`, 'https://login.example.com/contoso/v2.0', `https://sts.example.com/${LISTED}/`, 'https://sts.example.com/contoso/',
  ]);
  const predicate = await buildProtectedResourceMetadata(createGuard({ ...options, tenants: (tenant) => tenant === LISTED }));
  t.false('authorization_servers' in predicate, 'a predicate\'s tenants cannot be listed: the member is absent, not empty');
  t.is(predicate.resource, resource);
});
