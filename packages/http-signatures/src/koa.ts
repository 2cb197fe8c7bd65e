/**
 * Koa middleware for HTTP message signatures: `verifyHttpSignature()` after `protect()` and a body
 * parser that keeps the raw body (`@koa/bodyparser` sets `ctx.request.rawBody`), `signResponses()`
 * before the routes whose responses are signed.
 */
import type { Context, Middleware, Next } from 'koa';
import { getAuth } from '@resource-guard/koa';
import { readOrigin, requestUrl, toVerifier, verifyNodeRequest, type SignatureMiddlewareSettings, type VerifierInput } from './adapter-support.js';
import { signatureError } from './errors.js';
import { responseBody } from './node-body.js';
import { toSigner, type SignerInput } from './response-support.js';
import type { HttpHeaders } from './signature-base.js';
import type { VerifiedRequestSignature } from './verify-request.js';

function requestParts(ctx: Context, origin: ReturnType<typeof readOrigin>) {
  return { method: ctx.method, url: requestUrl(origin, ctx.protocol, ctx.host, ctx.originalUrl), headers: ctx.headers as HttpHeaders };
}

/**
 * Verifies the request's FAPI 2.0 signature (see `createRequestSignatureVerifier`) and sets
 * `ctx.state.httpSignature`; rejections are thrown (the adapter's `errorHandler()` renders them).
 * Uses `ctx.state.auth` from `protect()` for the token's `cnf` key. The raw body is
 * `ctx.request.rawBody` (a string from `@koa/bodyparser`, UTF-8 encoded back to the bytes of a
 * UTF-8 body, or bytes); a request with a body and none is a 500 (`ERR_HTTPSIG_BODY_UNAVAILABLE`).
 */
export function verifyHttpSignature(verifier?: VerifierInput, settings?: SignatureMiddlewareSettings): Middleware {
  const checked = toVerifier(verifier);
  const origin = readOrigin(settings);
  return async function verifyHttpSignatureMiddleware(ctx: Context, next: Next): Promise<void> {
    const state = ctx.state as { auth?: unknown; httpSignature?: VerifiedRequestSignature };
    const auth = state.auth === undefined ? undefined : getAuth(ctx);
    state.httpSignature = await verifyNodeRequest(checked, requestParts(ctx, origin), (ctx.request as { rawBody?: unknown }).rawBody, auth);
    await next();
  };
}

/**
 * Signs every response of the routes after it (see `createResponseSigner`), once they have set
 * `ctx.status` and `ctx.body`: a string or `Buffer` as it is, an object as the JSON Koa would send
 * (the body is replaced by that string, so the bytes signed are the bytes sent). A stream body
 * cannot be signed: 500 (`ERR_HTTPSIG_BODY_UNAVAILABLE`), never an unsigned response.
 */
export function signResponses(signer: SignerInput, settings?: SignatureMiddlewareSettings): Middleware {
  const checked = toSigner(signer);
  const origin = readOrigin(settings);
  return async function signResponsesMiddleware(ctx: Context, next: Next): Promise<void> {
    await next();
    let body: Uint8Array;
    const value: unknown = ctx.body;
    if (value === null || value === undefined || typeof value === 'string' || value instanceof Uint8Array) {
      body = responseBody(value);
    } else if (typeof (value as { pipe?: unknown }).pipe === 'function') {
      throw signatureError('ERR_HTTPSIG_BODY_UNAVAILABLE', 'The server could not sign the response', undefined, 'a stream body cannot be signed: buffer it first');
    } else {
      // What Koa would send for any other value: its JSON.
      const json = JSON.stringify(value);
      ctx.body = json;
      body = new TextEncoder().encode(json);
    }
    const state = ctx.state as { httpSignature?: VerifiedRequestSignature };
    const fields = await checked.sign({ status: ctx.status, headers: ctx.response.headers as HttpHeaders, body }, requestParts(ctx, origin), state.httpSignature);
    for (const [name, value] of Object.entries(fields)) ctx.set(name, value);
  };
}
