// Type tests, checked by `npm run test:types` (tsc, never run): what users' code may rely on.
// `@ts-expect-error` lines fail the check when the library stops rejecting them.
import { expectTypeOf } from 'expect-type';
import express, { type ErrorRequestHandler } from 'express';
import Koa, { type Middleware } from 'koa';
import Router from '@koa/router';
import * as ex from '@resource-guard/express';
import * as ko from '@resource-guard/koa';

interface TenantClaims {
  sub: string;
  tenant: string;
}

// ---- Express ---------------------------------------------------------------------------------
const app = express();
app.use(ex.protect({ issuer: 'https://as.example', audience: 'https://api.example' }));
app.get('/orders', ex.requireScopes('orders:read'), (req, res) => {
  expectTypeOf(req.auth).toEqualTypeOf<ex.AuthContext | undefined>();

  const auth = ex.getAuth(req);
  expectTypeOf(auth).toEqualTypeOf<ex.AuthContext>();
  expectTypeOf(auth.subject).toEqualTypeOf<string | undefined>();
  expectTypeOf(auth.username).toEqualTypeOf<string | undefined>();
  expectTypeOf(auth.clientId).toEqualTypeOf<string | undefined>();
  expectTypeOf(auth.claims).toEqualTypeOf<Readonly<ex.Claims>>();
  expectTypeOf(ex.getAuth<{ username: string }>(req).username).toEqualTypeOf<string>();
  expectTypeOf(auth.scopes).toEqualTypeOf<string[]>();
  expectTypeOf(auth.token).toEqualTypeOf<string>();

  // A claims interface (no index signature) is accepted; declared members are typed, others unknown.
  const tenant = ex.getAuth<TenantClaims>(req);
  expectTypeOf(tenant).toEqualTypeOf<ex.AuthContext<TenantClaims>>();
  expectTypeOf(tenant.subject).toEqualTypeOf<string>();
  expectTypeOf(tenant.clientId).toEqualTypeOf<string | undefined>();
  expectTypeOf(tenant.claims.tenant).toEqualTypeOf<string>();
  expectTypeOf(tenant.claims.other).toEqualTypeOf<unknown>();
  // @ts-expect-error claims are read-only
  tenant.claims.tenant = 'other';

  const clientOnly = ex.getAuth<{ client_id: string }>(req);
  expectTypeOf(clientOnly.clientId).toEqualTypeOf<string>();

  res.json({ subject: auth.subject });
});
expectTypeOf(ex.errorHandler()).toEqualTypeOf<ErrorRequestHandler>();
app.use(ex.errorHandler({ format: 'problem', logger: { error: () => undefined, debug: () => undefined } }));
// @ts-expect-error the format is 'oauth' or 'problem'
ex.errorHandler({ format: 'xml' });
// @ts-expect-error a logger needs error()
ex.errorHandler({ logger: { debug: () => undefined } });
// @ts-expect-error getAuth needs the request
ex.getAuth();
// @ts-expect-error getAuth takes a request, not a Koa context
ex.getAuth({ state: {} });

// ---- Koa -------------------------------------------------------------------------------------
const koa = new Koa();
const router = new Router();
expectTypeOf(ko.errorHandler()).toEqualTypeOf<Middleware>();
koa.use(ko.errorHandler());
koa.use(ko.protect({ issuer: 'https://as.example', audience: 'https://api.example' }));
router.get('/orders', ko.requireScopes('orders:read'), (ctx) => {
  expectTypeOf(ctx.state.auth).toEqualTypeOf<ko.AuthContext | undefined>();
  expectTypeOf(ko.getAuth(ctx)).toEqualTypeOf<ko.AuthContext>();
  const tenant = ko.getAuth<TenantClaims>(ctx);
  expectTypeOf(tenant.subject).toEqualTypeOf<string>();
  expectTypeOf(tenant.claims.tenant).toEqualTypeOf<string>();
  ctx.body = { subject: tenant.subject };
});
koa.use(router.routes());
// @ts-expect-error getAuth needs the context
ko.getAuth();

// ---- errors, from the adapters alone --------------------------------------------------------
for (const adapter of [ex, ko]) {
  const error: unknown = new adapter.InvalidTokenError('Token expired', 'ERR_TOKEN_EXPIRED');
  if (adapter.isGuardError(error)) {
    expectTypeOf(error).toEqualTypeOf<ex.GuardError>();
    expectTypeOf(error.code).toEqualTypeOf<ex.GuardError['code']>();
    expectTypeOf(error.status).toEqualTypeOf<number>();
    expectTypeOf(error.headers).toEqualTypeOf<ex.GuardError['headers']>();
    expectTypeOf(error.error).toEqualTypeOf<ex.ChallengeError | undefined>();
  }
  expectTypeOf(new adapter.UpstreamUnavailableError('down').retryAfter).toEqualTypeOf<number>();
  expectTypeOf(adapter.MisconfigurationError).toBeConstructibleWith('misuse', 'ERR_MISCONFIGURED_MIDDLEWARE_ORDER');
}

// The default store, sized, from an adapter alone.
expectTypeOf(ex.createMemoryStore({ max: 1000 })).toEqualTypeOf<ex.Store>();
expectTypeOf(ko.createMemoryStore).parameter(0).toEqualTypeOf<ko.MemoryStoreOptions | undefined>();
