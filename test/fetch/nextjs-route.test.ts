/**
 * The Next.js route-handler example, called the way Next.js calls it: `GET(request, context)`
 * with a Web-standard `Request`, answering a `Response`. Imported after the environment is set:
 * the example's guard reads `ISSUER` and `AUDIENCE` at module scope.
 */
import test from 'ava';
import { findChallenge } from '../helpers/challenge.js';
import { AUDIENCE, startMockIssuer, type MockIssuer } from '../helpers/issuer.js';
import type * as OrdersRoute from '../../examples/nextjs-route-handler/dist/app/orders/route.js';
import type * as OrderRoute from '../../examples/nextjs-route-handler/dist/app/orders/[id]/route.js';

let issuer: MockIssuer;
let orders: typeof OrdersRoute;
let order: typeof OrderRoute;
test.before(async () => {
  issuer = await startMockIssuer();
  process.env.ISSUER = issuer.issuer;
  process.env.AUDIENCE = AUDIENCE;
  orders = await import('../../examples/nextjs-route-handler/dist/app/orders/route.js');
  order = await import('../../examples/nextjs-route-handler/dist/app/orders/[id]/route.js');
});
test.after.always(async () => {
  await issuer.close();
});

const request = (token: string | undefined, method = 'GET', path = '/orders') => new Request(`http://localhost:3000${path}`, {
  method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
});

test('route handlers: scopes enforced before the handler, the route context passed through', async (t) => {
  const reader = await issuer.sign({ scope: 'orders:read' });
  const list = await orders.GET(request(reader));
  t.is(list.status, 200);
  t.deepEqual(await list.json(), { orders: [{ id: 1, owner: issuer.claims().sub }] });

  const write = await orders.POST(request(reader, 'POST'));
  t.is(write.status, 403);
  t.is(findChallenge(write.headers.get('www-authenticate')!, 'Bearer')?.params.scope, 'orders:write');

  const anonymous = await orders.GET(request(undefined));
  t.is(anonymous.status, 401);
  t.is(findChallenge(anonymous.headers.get('www-authenticate')!, 'Bearer')?.params.error, undefined);

  const one = await order.GET(request(reader, 'GET', '/orders/7'), { params: Promise.resolve({ id: '7' }) });
  t.deepEqual(await one.json(), { order: { id: '7', owner: issuer.claims().sub } });
  t.is(orders.runtime, 'nodejs');
});
