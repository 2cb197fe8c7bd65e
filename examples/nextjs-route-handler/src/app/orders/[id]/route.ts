/**
 * `app/orders/[id]/route.ts`: Next.js passes the route context after the request; `withAuth`
 * hands it on after the verified context.
 */
import { requireScopes, withAuth } from '@resource-guard/fetch';
import { guard } from '../../../lib/guard';

export const runtime = 'nodejs';

export const GET = withAuth(guard, async (_request, auth, context: { params: Promise<{ id: string }> }) => {
  const { id } = await context.params;
  return Response.json({ order: { id, owner: auth.subject } });
}, { require: requireScopes('orders:read') });
