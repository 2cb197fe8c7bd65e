import type { CachedExchange } from './cache.js';
import type { DpopProver } from './dpop-proof.js';

/** What {@link sendDownstream} needs besides the request. */
export interface DownstreamSettings {
  fetch: typeof fetch;
  prover: DpopProver | undefined;
  /** Drops the cached exchange (the downstream API answered 401). */
  forget: () => Promise<void>;
}

/** `WWW-Authenticate: DPoP error="use_dpop_nonce"` (RFC 9449 §9). */
const USE_DPOP_NONCE = /\bdpop\b[^,]*?\berror\s*=\s*"?use_dpop_nonce"?/i;

/**
 * Sends one downstream request with `exchanged` in `Authorization` (and a `DPoP` proof for a
 * DPoP-bound token). Refuses, as a `TypeError` before anything is sent, a request that would carry
 * the caller's own token (`inbound`) anywhere we can see: the URL, a header, a string body.
 */
export async function sendDownstream(
  inbound: string, input: string | URL, init: RequestInit | undefined, exchanged: CachedExchange, settings: DownstreamSettings,
): Promise<Response> {
  if (exchanged.tokenType !== 'Bearer' && exchanged.tokenType !== 'DPoP') {
    throw new TypeError(`resource-guard: downstreamFetch() cannot send a token of type ${JSON.stringify(exchanged.tokenType)}; ask for an access token`);
  }
  const url = new URL(input);
  const headers = new Headers(init?.headers);
  if (headers.has('authorization') || headers.has('dpop')) {
    throw new TypeError('resource-guard: downstreamFetch() sets Authorization and DPoP itself; remove them from init.headers');
  }
  const body = init?.body;
  const replayable = body === undefined || body === null || typeof body === 'string' || body instanceof URLSearchParams;
  if (carriesToken(inbound, url, headers, body)) {
    throw new TypeError('resource-guard: downstreamFetch() refused a request carrying the caller\'s own access token (only exchanged tokens go downstream)');
  }
  const method = (init?.method ?? 'GET').toUpperCase();
  headers.set('authorization', `${exchanged.tokenType} ${exchanged.accessToken}`);
  const request = { ...init, method, headers, redirect: init?.redirect ?? 'manual' };
  const send = async (nonce?: string): Promise<Response> => {
    if (exchanged.tokenType === 'DPoP') {
      headers.set('dpop', await settings.prover!.createProof({ method, url, accessToken: exchanged.accessToken, nonce }));
    }
    return settings.fetch(url, request);
  };
  let response = await send();
  if (response.status !== 401) return response;
  const nonce = response.headers.get('dpop-nonce');
  if (exchanged.tokenType === 'DPoP' && nonce !== null && replayable && USE_DPOP_NONCE.test(response.headers.get('www-authenticate') ?? '')) {
    await response.body?.cancel().catch(() => undefined);
    response = await send(nonce);
    if (response.status !== 401) return response;
  }
  await settings.forget();
  return response;
}

/** Whether the caller's token is in the URL (also percent-encoded), a header value or a string body. */
function carriesToken(inbound: string, url: URL, headers: Headers, body: unknown): boolean {
  const href = url.href;
  if (href.includes(inbound) || (href.includes('%') && decodeUrl(href).includes(inbound))) return true;
  for (const value of headers.values()) if (value.includes(inbound)) return true;
  if (typeof body === 'string') return body.includes(inbound);
  if (body instanceof URLSearchParams) for (const value of body.values()) if (value.includes(inbound)) return true;
  return false;
}

function decodeUrl(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    return href;
  }
}
