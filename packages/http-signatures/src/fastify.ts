/**
 * Fastify hooks for HTTP message signatures: `verifyHttpSignature()` as a route's `preHandler`
 * after the guard, `signResponses()` as its `onSend` hook. Fastify parses the body before
 * `preHandler` and keeps no raw bytes: register a content-type parser with `parseAs: 'buffer'`
 * that sets `request.rawBody` (see docs/http-message-signatures.md).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { getAuth } from '@resource-guard/fastify';
import { readOrigin, requestUrl, toVerifier, verifyNodeRequest, type SignatureMiddlewareSettings, type VerifierInput } from './adapter-support.js';
import { signatureError } from './errors.js';
import { responseBody } from './node-body.js';
import { toSigner, type SignerInput } from './response-support.js';
import type { HttpHeaders } from './signature-base.js';
import type { VerifiedRequestSignature } from './verify-request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `verifyHttpSignature()`: the request signature that verified. */
    httpSignature?: VerifiedRequestSignature;
    /** The raw body, for `verifyHttpSignature()` (set it in a `parseAs: 'buffer'` content-type parser). */
    rawBody?: Uint8Array | string;
  }
}

function requestParts(request: FastifyRequest, origin: ReturnType<typeof readOrigin>) {
  return { method: request.method, url: requestUrl(origin, request.protocol, request.host, request.url), headers: request.headers as HttpHeaders };
}

/**
 * A `preHandler` hook that verifies the request's FAPI 2.0 signature (see
 * `createRequestSignatureVerifier`) and sets `request.httpSignature`; rejections are thrown (the
 * plugin's error handler renders them). Uses `request.auth` from the guard for the token's `cnf`
 * key; the raw body is `request.rawBody` (a request with a body and none is a 500,
 * `ERR_HTTPSIG_BODY_UNAVAILABLE`).
 */
export function verifyHttpSignature(verifier?: VerifierInput, settings?: SignatureMiddlewareSettings): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const checked = toVerifier(verifier);
  const origin = readOrigin(settings);
  return async function verifyHttpSignatureHook(request: FastifyRequest): Promise<void> {
    const auth = request.auth === undefined || request.auth === null ? undefined : getAuth(request);
    request.httpSignature = await verifyNodeRequest(checked, requestParts(request, origin), request.rawBody, auth);
  };
}

/**
 * An `onSend` hook that signs the response (see `createResponseSigner`): the serialized payload
 * (string or `Buffer`) with the reply's status, bound to the request and to
 * `request.httpSignature`. A stream payload cannot be signed: 500 (`ERR_HTTPSIG_BODY_UNAVAILABLE`).
 */
export function signResponses(signer: SignerInput, settings?: SignatureMiddlewareSettings): (request: FastifyRequest, reply: FastifyReply, payload: unknown) => Promise<unknown> {
  const checked = toSigner(signer);
  const origin = readOrigin(settings);
  return async function signResponsesHook(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    if (payload !== null && typeof payload === 'object' && !(payload instanceof Uint8Array)) {
      throw signatureError('ERR_HTTPSIG_BODY_UNAVAILABLE', 'The server could not sign the response', undefined, 'a stream payload cannot be signed: send a string or a Buffer');
    }
    const body = responseBody(payload as string | Uint8Array | null);
    const fields = await checked.sign({ status: reply.statusCode, headers: reply.getHeaders() as HttpHeaders, body }, requestParts(request, origin), request.httpSignature);
    reply.headers({ ...fields });
    return payload;
  };
}
