/**
 * The inventory API and the orders API's route that calls it for its caller, with a token from
 * token exchange (RFC 8693): the inventory API accepts only tokens whose audience is its own, so
 * the caller's token, sent there directly, is refused.
 */
import express, { type Express, type RequestHandler } from 'express';
import { createGuard, errorHandler, getAuth, protect, requireScopes, type Guard, type GuardOptions } from '@resource-guard/express';
import { createTokenExchange, type TokenExchangeOptions } from '@resource-guard/core/exchange';

/** The inventory API's audience at the dev authorization server. */
export const INVENTORY_AUDIENCE = 'urn:resource-guard:inventory-api';

/**
 * The inventory API: `GET /health`; `GET /stock` with scope `inventory:read`, answering who it
 * was called for. `options` are its guard options; its audience is always {@link INVENTORY_AUDIENCE}.
 */
export function createInventoryApp(options: Omit<GuardOptions, 'audience'>): Express {
  const guard = createGuard({ ...options, audience: INVENTORY_AUDIENCE });
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/stock', protect(guard), requireScopes('inventory:read'), (req, res) => {
    const auth = getAuth(req);
    res.json({ forUser: auth.subject, viaClient: auth.clientId, items: [{ sku: 'A-1', count: 3 }] });
  });
  app.use(errorHandler());
  return app;
}

/** Where the orders API finds the inventory API, and how it exchanges tokens for it. */
export interface InventorySettings {
  /** Base URL of the inventory API, e.g. `http://127.0.0.1:3005`. */
  url: string;
  /** The orders API's client at the authorization server, allowed to exchange tokens. */
  exchange: TokenExchangeOptions;
}

/**
 * `GET /stock` of the orders API: exchanges the caller's token for an inventory token (once per
 * caller, then reused) and answers what the inventory API answered. A refused exchange is a 403
 * (the caller may not reach the inventory), an authorization server that is down a 503.
 */
export function inventoryRoute(guard: Guard, settings: InventorySettings): RequestHandler[] {
  const exchange = createTokenExchange(guard, settings.exchange);
  return [protect(guard), async (req, res, next) => {
    try {
      const response = await exchange.downstreamFetch(getAuth(req), `${settings.url}/stock`, undefined, {
        audience: INVENTORY_AUDIENCE, scope: 'inventory:read',
      });
      res.status(response.status).json({ inventory: await response.json() as unknown });
    } catch (error) {
      next(error);
    }
  }];
}
