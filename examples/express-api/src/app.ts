/**
 * Sample Express API protected by resource-guard: one route per feature.
 * Rejections are answered by errorHandler(): JSON `{ error, error_description }` with the
 * challenge headers; anything else would go on to Express's own final handler.
 */
import express, { type Express } from 'express';
import {
  createGuard, errorHandler, getAuth, protect, requireAnyScope, requireClaims, requireScopes, type GuardOptions,
} from '@resource-guard/express';
import { inventoryRoute, type InventorySettings } from './inventory.js';

export { createInventoryApp, INVENTORY_AUDIENCE, type InventorySettings } from './inventory.js';

/** What the app calls besides its guard: the inventory API, by token exchange. */
export interface AppExtras {
  inventory?: InventorySettings;
}

/**
 * Builds the app. `options` are the guard options (see the root README); the routes:
 * - `GET /health` — public
 * - `GET /me` — any valid token (JWT, opaque, DPoP- or certificate-bound): the user context
 * - `GET /orders` — scope `orders:read`; `POST /orders` — scope `orders:write`
 * - `GET /admin` — scope `admin` (any-of)
 * - `GET /partners` — claim `client_id` must be `demo-client`
 * - `GET /greeting` — optional authentication
 * - `GET /stock` — with `extras.inventory`: calls the inventory API for the caller with an
 *   exchanged token (RFC 8693), never the caller's own
 */
export function createApp(options: GuardOptions, extras: AppExtras = {}): Express {
  const guard = createGuard(options);
  const app = express();
  app.disable('x-powered-by');

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/me', protect(guard), (req, res) => {
    res.json({ auth: req.auth });
  });
  app.get('/orders', protect(guard), requireScopes('orders:read'), (req, res) => {
    res.json({ orders: [{ id: 1, owner: getAuth(req).subject }] });
  });
  app.post('/orders', protect(guard), requireScopes('orders:write'), (_req, res) => {
    res.status(201).json({ created: true });
  });
  app.get('/admin', protect(guard), requireAnyScope('admin'), (_req, res) => {
    res.json({ admin: true });
  });
  app.get('/partners', protect(guard), requireClaims({ client_id: 'demo-client' }), (_req, res) => {
    res.json({ partners: ['acme'] });
  });
  app.get('/greeting', protect(guard, { optional: true }), (req, res) => {
    res.json({ greeting: `Hello, ${req.auth?.subject ?? 'anonymous'}` });
  });
  if (extras.inventory !== undefined) app.get('/stock', ...inventoryRoute(guard, extras.inventory));
  app.use(errorHandler());
  return app;
}
