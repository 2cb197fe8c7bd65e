/**
 * Type tests of the public surface, checked by `tsc -p test/types` (part of `npm run lint`):
 * the `req.auth` / `ctx.state.auth` augmentation and the contract types. Nothing here runs.
 */
import type { Request, RequestHandler } from 'express';
import type { Context, Middleware } from 'koa';
import { expectTypeOf } from 'expect-type';
import {
  createGuard, requireAuthorizationDetails, type AuthContext, type AuthorizationDetail, type ErrorCode, type GuardError, type GuardErrorCode, type GuardOptions, type Guard,
  type ProfileName, type TenantFilter,
} from '@resource-guard/core';
import { createTokenExchange, type ExchangeTokenResult, type TokenExchange, type TokenExchangeRefusedError } from '@resource-guard/core/exchange';
import * as expressAdapter from '@resource-guard/express';
import * as koaAdapter from '@resource-guard/koa';

declare const req: Request;
declare const ctx: Context;
declare const guard: Guard;

// Declaration merging: the adapters type the context where they put it.
expectTypeOf(req.auth).toEqualTypeOf<AuthContext | undefined>();
expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthContext | undefined>();

// AuthContext contract fields.
expectTypeOf<AuthContext['token']>().toEqualTypeOf<string>();
expectTypeOf<AuthContext['scheme']>().toEqualTypeOf<'Bearer' | 'DPoP'>();
expectTypeOf<AuthContext['format']>().toEqualTypeOf<'jwt' | 'opaque'>();
expectTypeOf<AuthContext['audience']>().toEqualTypeOf<string[]>();
expectTypeOf<AuthContext['scopes']>().toEqualTypeOf<string[]>();
expectTypeOf<AuthContext['expiresAt']>().toEqualTypeOf<number | undefined>();
expectTypeOf<AuthContext['issuer']>().toEqualTypeOf<string | undefined>();
// RFC 9396: the entries, read-only, with the common fields typed and the type's own members unknown.
expectTypeOf<AuthContext['authorizationDetails']>().toEqualTypeOf<readonly AuthorizationDetail[]>();
expectTypeOf<AuthorizationDetail['type']>().toEqualTypeOf<string>();
expectTypeOf<AuthorizationDetail['actions']>().toEqualTypeOf<readonly string[] | undefined>();
expectTypeOf<AuthorizationDetail['identifier']>().toEqualTypeOf<string | undefined>();
expectTypeOf<AuthorizationDetail['instructedAmount']>().toEqualTypeOf<unknown>();
requireAuthorizationDetails({ type: 'payment_initiation', match: (detail, auth) => detail.type === 'x' && auth.scopes.length > 0 });
// @ts-expect-error `type` is required
requireAuthorizationDetails({ actions: ['read'] });

// createGuard / verify.
expectTypeOf(createGuard).parameter(0).toEqualTypeOf<GuardOptions>();
expectTypeOf(guard.verify).returns.toEqualTypeOf<Promise<AuthContext>>();
expectTypeOf<GuardOptions>().toHaveProperty('validators');
// @ts-expect-error an unknown option name is a type error too
createGuard({ issuer: 'https://as.example', audience: 'api', issuers: [] });
// Provider profiles are a closed list; tenants a list or a predicate.
expectTypeOf<'entra'>().toExtend<ProfileName>();
// @ts-expect-error a profile the library does not know
createGuard({ issuer: 'https://as.example', audience: 'api', profile: 'okta2' });
expectTypeOf<(tenantId: string) => boolean>().toExtend<TenantFilter>();

// Error codes: the library's codes are a union; custom ones must follow ERR_AREA_REASON.
expectTypeOf<'ERR_TOKEN_EXPIRED'>().toExtend<GuardErrorCode>();
expectTypeOf<'ERR_MY_OWN'>().toExtend<ErrorCode>();
expectTypeOf<'token expired'>().not.toExtend<ErrorCode>();
expectTypeOf<GuardError['headers']>().toEqualTypeOf<Readonly<Record<string, string>>>();

// The adapters' contract names.
for (const adapter of [expressAdapter, koaAdapter]) {
  expectTypeOf(adapter).toHaveProperty('protect');
  expectTypeOf(adapter).toHaveProperty('requireScopes');
  expectTypeOf(adapter).toHaveProperty('requireAnyScope');
  expectTypeOf(adapter).toHaveProperty('requireClaims');
  expectTypeOf(adapter).toHaveProperty('requireAuthentication');
  expectTypeOf(adapter).toHaveProperty('requireThat');
}
expectTypeOf(expressAdapter.protect).returns.toEqualTypeOf<RequestHandler>();
expectTypeOf(koaAdapter.protect).returns.toEqualTypeOf<Middleware>();

// Token exchange: the result's shape, the refusal's code union, options checked by the compiler.
declare const exchange: TokenExchange;
expectTypeOf(exchange.exchangeToken).returns.toEqualTypeOf<Promise<ExchangeTokenResult>>();
expectTypeOf(exchange.downstreamFetch).returns.toEqualTypeOf<Promise<Response>>();
expectTypeOf<ExchangeTokenResult['expiresAt']>().toEqualTypeOf<number | undefined>();
expectTypeOf<TokenExchangeRefusedError['oauthError']>().toEqualTypeOf<string | undefined>();
expectTypeOf<'ERR_EXCHANGE_REFUSED'>().toExtend<GuardErrorCode>();
// @ts-expect-error `bearer` is an introspection method only
createTokenExchange(guard, { clientId: 'api', clientAuth: 'bearer' });
// @ts-expect-error an unknown option name
createTokenExchange(guard, { clientId: 'api', clientSecret: 's', skew: 60 });
