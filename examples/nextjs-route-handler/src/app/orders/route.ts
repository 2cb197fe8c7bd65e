/**
 * `app/orders/route.ts` of a Next.js app: route handlers are plain fetch handlers, so `withAuth`
 * wraps them as they are. Rejections are answered before the handler runs (401/403 with
 * `WWW-Authenticate`).
 */
import { requireScopes, withAuth } from '@resource-guard/fetch';
import { guard } from '../../lib/guard';

// The guard currently needs Node's crypto: keep these handlers on the Node.js runtime.
export const runtime = 'nodejs';

export const GET = withAuth(guard, (_request, auth) => Response.json({ orders: [{ id: 1, owner: auth.subject }] }), {
  require: requireScopes('orders:read'),
});

export const POST = withAuth(guard, () => Response.json({ created: true }, { status: 201 }), {
  require: requireScopes('orders:write'),
});
