/**
 * Express middleware for HTTP message signatures: `verifyHttpSignature()` after `protect()` and a
 * body parser that keeps the raw bytes, `signResponses()` before the routes whose responses are
 * signed (with the same `origin` setting). The raw body: `express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })`, or
 * `express.raw()` (then `req.body` is the `Buffer`).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { getAuth } from '@resource-guard/express';
import { readOrigin, requestUrl, toVerifier, verifyNodeRequest, type SignatureMiddlewareSettings, type VerifierInput } from './adapter-support.js';
import { responseBody } from './node-body.js';
import { toSigner, type SignerInput } from './response-support.js';
import type { HttpHeaders } from './signature-base.js';
import type { VerifiedRequestSignature } from './verify-request.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `verifyHttpSignature()`: the request signature that verified. */
      httpSignature?: VerifiedRequestSignature;
      /** The raw body, for `verifyHttpSignature()` (set it in `express.json({ verify })`). */
      rawBody?: Uint8Array | string;
    }
  }
}

function requestParts(req: Request, origin: ReturnType<typeof readOrigin>) {
  return { method: req.method, url: requestUrl(origin, req.protocol, req.host, req.originalUrl), headers: req.headers as HttpHeaders };
}

/**
 * Verifies the request's FAPI 2.0 signature (see `createRequestSignatureVerifier`) and sets
 * `req.httpSignature`; rejections go to `next(error)` (the adapter's `errorHandler()` renders
 * them: 401 with `WWW-Authenticate` and `Accept-Signature`). Uses `req.auth` from `protect()` for
 * the token's `cnf` key. The raw body is `req.rawBody`, else `req.body` when it is a `Buffer`; a
 * request with a body and neither is a 500 (`ERR_HTTPSIG_BODY_UNAVAILABLE`).
 */
export function verifyHttpSignature(verifier?: VerifierInput, settings?: SignatureMiddlewareSettings): RequestHandler {
  const checked = toVerifier(verifier);
  const origin = readOrigin(settings);
  return function verifyHttpSignatureMiddleware(req: Request, _res: Response, next: NextFunction): void {
    let verified: Promise<VerifiedRequestSignature>;
    try {
      const auth = req.auth === undefined ? undefined : getAuth(req);
      verified = verifyNodeRequest(checked, requestParts(req, origin), req.rawBody ?? req.body, auth);
    } catch (error) {
      next(error);
      return;
    }
    verified.then((signature) => {
      req.httpSignature = signature;
      next();
    }, next);
  };
}

/**
 * Signs every response of the routes after it (see `createResponseSigner`): the body is held
 * until `res.end()`, signed with its status and bound to the request (and to
 * `req.httpSignature` when the request signature verified), then sent. A signing failure sends a
 * 500 without the body, never an unsigned response. Streaming responses are buffered whole.
 */
export function signResponses(signer: SignerInput, settings?: SignatureMiddlewareSettings): RequestHandler {
  const checked = toSigner(signer);
  const origin = readOrigin(settings);
  return function signResponsesMiddleware(req: Request, res: Response, next: NextFunction): void {
    const chunks: Uint8Array[] = [];
    const end = res.end.bind(res) as (chunk?: unknown, callback?: () => void) => Response;
    res.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      chunks.push(responseBody(chunk as string | Uint8Array, typeof encoding === 'string' ? encoding as BufferEncoding : undefined));
      if (typeof encoding === 'function') (encoding as () => void)();
      else if (typeof callback === 'function') (callback as () => void)();
      return true;
    }) as Response['write'];
    res.end = ((chunk?: unknown, encoding?: unknown, callback?: unknown) => {
      const done = [chunk, encoding, callback].find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (typeof chunk !== 'function') chunks.push(responseBody(chunk as string | Uint8Array | undefined, typeof encoding === 'string' ? encoding as BufferEncoding : undefined));
      const body = Buffer.concat(chunks);
      Promise.resolve().then(() => checked.sign(
        { status: res.statusCode, headers: res.getHeaders() as HttpHeaders, body }, requestParts(req, origin), req.httpSignature,
      )).then((fields) => {
        for (const [name, value] of Object.entries(fields)) res.setHeader(name, value);
        end(body, done);
      }, () => {
        res.statusCode = 500;
        res.removeHeader('content-length');
        res.removeHeader('content-type');
        end(undefined, done);
      });
      return res;
    }) as Response['end'];
    next();
  };
}
