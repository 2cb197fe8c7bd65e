/**
 * `requireAuthorizationDetails()` and `auth.authorizationDetails` (RFC 9396) below HTTP: option
 * checks at start-up, each field of the requirement, `match` seeing only entries of the type,
 * a detail that names no token value, and the deep-frozen context. The telemetry kind
 * (`node:diagnostics_channel`, node only) is in test/telemetry/channels.node.test.ts.
 */
import test from 'ava';
import {
  AUTHORIZATION_DETAILS_MAX, createGuard, requireAuthorizationDetails, type AuthContext, type AuthorizationDetail,
  type RequireAuthorizationDetailsOptions,
} from '@resource-guard/core';
import { AUDIENCE, bearerRequest, rejectionOf, startMockIssuer } from '../helpers/issuer.js';

// A context of another installed copy of the core, which may lack `authorizationDetails`.
const contextOf = (details: unknown): AuthContext => ({ claims: { authorization_details: details }, scopes: [] }) as unknown as AuthContext;

const account = { type: 'account_information', actions: ['read'], locations: ['https://bank.example/accounts'], identifier: 'acc-1' };

test('options are checked at start-up, each with a TypeError naming what is wrong', (t) => {
  const bad: unknown[] = [
    undefined, null, 'payment_initiation', {}, { type: '' }, { type: 'with space' }, { type: 'quo"te' }, { type: 7 },
    { type: 'x', actions: 'read' }, { type: 'x', actions: [] }, { type: 'x', locations: [1] }, { type: 'x', identifier: 1 },
    { type: 'x', match: true }, { type: 'x', typ: 'x' },
  ];
  for (const options of bad) {
    t.throws(() => requireAuthorizationDetails(options as RequireAuthorizationDetailsOptions), { instanceOf: TypeError }, JSON.stringify(options));
  }
  t.notThrows(() => requireAuthorizationDetails({ type: 'urn:example:type', actions: ['read'], identifier: '' }));
});

test('type, then every listed common field (all items, exact), then identifier', (t) => {
  const check = (options: RequireAuthorizationDetailsOptions, details: unknown[]) => requireAuthorizationDetails(options).check(contextOf(details));
  t.is(check({ type: 'account_information' }, [account]), undefined);
  t.is(check({ type: 'account_information', actions: ['read'], locations: ['https://bank.example/accounts'], identifier: 'acc-1' }, [account]), undefined);
  t.is(check({ type: 'account_information' }, [{ type: 'Account_Information' }])?.code, 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT', 'type is case-sensitive');
  t.not(check({ type: 'account_information', actions: ['read', 'write'] }, [account]), undefined, 'all actions');
  t.not(check({ type: 'account_information', actions: ['rea'] }, [account]), undefined, 'no prefix match');
  t.not(check({ type: 'account_information', locations: ['https://bank.example/'] }, [account]), undefined);
  t.not(check({ type: 'account_information', datatypes: ['balances'] }, [account]), undefined, 'an absent list has none');
  t.is(check({ type: 'account_information', datatypes: ['balances'] }, [{ ...account, datatypes: ['balances', 'details'] }]), undefined);
  t.not(check({ type: 'account_information', privileges: ['admin'] }, [{ ...account, privileges: ['user'] }]), undefined);
  t.is(check({ type: 'account_information', privileges: ['admin'] }, [{ ...account, privileges: ['admin'] }]), undefined);
  t.not(check({ type: 'account_information', identifier: 'acc-2' }, [account]), undefined);
  // One entry must hold every condition: two half-matching entries do not add up.
  t.not(check({ type: 'account_information', actions: ['read'], identifier: 'acc-2' }, [account, { ...account, actions: ['list'], identifier: 'acc-2' }]), undefined);
  t.is(check({ type: 'account_information', actions: ['read'], identifier: 'acc-2' }, [{ type: 'other' }, account, { ...account, identifier: 'acc-2' }]), undefined);
});

test('match sees only entries of the type that passed the field checks, and must return true', (t) => {
  const seen: AuthorizationDetail[] = [];
  const requirement = requireAuthorizationDetails({
    type: 'payment_initiation',
    actions: ['initiate'],
    match: (detail, auth) => {
      seen.push(detail);
      t.truthy(auth.claims);
      return (detail.instructedAmount as { amount?: string }).amount === '10' ? true : ('yes' as unknown as boolean);
    },
  });
  const details = [
    { type: 'account_information' },
    { type: 'payment_initiation', actions: ['status'], instructedAmount: { amount: '10' } },
    { type: 'payment_initiation', actions: ['initiate'], instructedAmount: { amount: '99' } },
    { type: 'payment_initiation', actions: ['initiate'], instructedAmount: { amount: '10' } },
    { type: 'payment_initiation', actions: ['initiate'], instructedAmount: { amount: '10' } },
  ];
  t.is(requirement.check(contextOf(details)), undefined);
  t.deepEqual(seen.map((detail) => (detail.instructedAmount as { amount: string }).amount), ['99', '10'], 'stops at the first accepted');
  seen.length = 0;
  t.is(requirement.check(contextOf(details.slice(0, 3)))?.code, 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT', 'a truthy non-true answer is no');
});

test('the rejection: 403 insufficient_scope naming the configured type; the detail counts entries, never shows their values', (t) => {
  const requirement = requireAuthorizationDetails({ type: 'payment_initiation', match: () => false });
  const none = requirement.check(contextOf([{ type: 'secret-type-of-the-token', creditor: 'IBAN-SECRET' }]));
  t.like(none, { status: 403, error: 'insufficient_scope', code: 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT' });
  t.deepEqual(none?.challengeParams, { authorization_details_types: 'payment_initiation' });
  t.regex(none!.detail!, /no entry of type "payment_initiation" among the token's 1/);
  const refused = requirement.check(contextOf([{ type: 'payment_initiation', creditor: 'IBAN-SECRET' }]));
  t.regex(refused!.detail!, /1 entries of type "payment_initiation", none .* accepted by "match"/);
  for (const error of [none!, refused!]) {
    const everything = `${error.message} ${error.detail} ${JSON.stringify(error.challengeParams)}`;
    t.false(everything.includes('IBAN-SECRET'));
    t.false(everything.includes('secret-type-of-the-token'));
  }
  t.is(requireAuthorizationDetails({ type: 'x' }).check(contextOf(undefined))?.code, 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT', 'no claim, no entry');
});

test('a context without the field (another copy of the core) is read from its claims, malformed ones refused', (t) => {
  const requirement = requireAuthorizationDetails({ type: 'x' });
  t.is(requirement.check(contextOf([{ type: 'x' }])), undefined);
  t.throws(() => requirement.check(contextOf({ type: 'x' })), { code: 'ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID' });
});

test('auth.authorizationDetails: the claim, deep-frozen; empty and frozen when absent; at most AUTHORIZATION_DETAILS_MAX, each entry checked', async (t) => {
  const issuer = await startMockIssuer();
  try {
    const guard = createGuard({ issuer: issuer.issuer, audience: AUDIENCE });
    const details = [{ type: 'payment_initiation', actions: ['initiate'], instructedAmount: { currency: 'EUR', amount: '1' } }];
    const auth = await guard.verify(bearerRequest(await issuer.sign({ authorization_details: details })));
    t.deepEqual(auth.authorizationDetails, details);
    t.true(Object.isFrozen(auth.authorizationDetails));
    t.true(Object.isFrozen(auth.authorizationDetails[0]));
    t.true(Object.isFrozen(auth.authorizationDetails[0]!.actions));
    t.true(Object.isFrozen(auth.authorizationDetails[0]!.instructedAmount));
    t.throws(() => (auth.authorizationDetails[0]!.actions as string[]).push('refund'));
    const plain = await guard.verify(bearerRequest(await issuer.sign()));
    t.deepEqual(plain.authorizationDetails, []);
    t.true(Object.isFrozen(plain.authorizationDetails));

    guard.authorize(auth, requireAuthorizationDetails({ type: 'payment_initiation' }));
    t.throws(() => guard.authorize(plain, requireAuthorizationDetails({ type: 'payment_initiation' })), { code: 'ERR_AUTHORIZATION_DETAILS_INSUFFICIENT' });

    const tooMany = Array.from({ length: AUTHORIZATION_DETAILS_MAX + 1 }, () => ({ type: 'x' }));
    t.like(await rejectionOf(guard.verify(bearerRequest(await issuer.sign({ authorization_details: tooMany })))), {
      status: 401, code: 'ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID',
    });
    const atCap = await guard.verify(bearerRequest(await issuer.sign({ authorization_details: tooMany.slice(1) })));
    t.is(atCap.authorizationDetails.length, AUTHORIZATION_DETAILS_MAX);
    for (const malformed of [{}, [null], [[]], [{ type: '' }], [{ type: 'x', identifier: 7 }], [{ type: 'x', datatypes: [1] }]]) {
      const error = await rejectionOf(guard.verify(bearerRequest(await issuer.sign({ authorization_details: malformed }))));
      t.like(error, { status: 401, error: 'invalid_token', code: 'ERR_TOKEN_AUTHORIZATION_DETAILS_INVALID' }, JSON.stringify(malformed));
    }
  } finally {
    await issuer.close();
  }
});
