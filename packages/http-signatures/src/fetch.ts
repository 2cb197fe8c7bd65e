/**
 * HTTP message signatures for Web-standard `Request`/`Response` (Hono, Next.js route handlers,
 * Bun, Deno, Workers): the request body is read from a clone (bounded), so the handler can still
 * read it. Imports no `node:` module.
 */
import type { AuthContext } from '@resource-guard/core';
import { readBoundedBody } from '@resource-guard/core/adapter';
import { toVerifier, type VerifierInput } from './adapter-support.js';
import { signatureError } from './errors.js';
import { toSigner, type SignerInput } from './response-support.js';
import type { HttpHeaders } from './signature-base.js';
import type { VerifiedRequestSignature } from './verify-request.js';

/** Options of {@link verifyHttpSignature}. */
export interface FetchSignatureOptions {
  /** The token's context (from `authenticate()`/`withAuth`), for its `cnf` key and challenge scheme. */
  auth?: AuthContext;
  /** Largest body read to check its digest, in bytes. Default 1 MiB (1048576); past it → 413 `ERR_HTTPSIG_BODY_TOO_LARGE`. */
  maxBodySize?: number;
}

/** What {@link verifyHttpSignature} resolves to: the signature, and the body it read (for the handler). */
export interface FetchSignatureResult {
  signature: VerifiedRequestSignature;
  /** The raw body, `undefined` when the request had none. */
  body: Uint8Array | undefined;
}

const DEFAULT_MAX_BODY_SIZE = 1024 * 1024;

function headersOf(headers: Headers): HttpHeaders {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

/**
 * Makes the function that verifies a `Request`'s FAPI 2.0 signature (see
 * `createRequestSignatureVerifier`, made once from `verifier` when it is options): the body is read from a clone, at most `maxBodySize` bytes.
 * Rejects with a `GuardError` (render it with `rejectionResponse()` of `@resource-guard/fetch`).
 */
export function verifyHttpSignature(verifier?: VerifierInput): (request: Request, options?: FetchSignatureOptions) => Promise<FetchSignatureResult> {
  const checked = toVerifier(verifier);
  return async function verifyRequestSignature(request: Request, options: FetchSignatureOptions = {}): Promise<FetchSignatureResult> {
    const limit = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
    const body = await readBoundedBody(request, limit, () => signatureError(
      'ERR_HTTPSIG_BODY_TOO_LARGE', 'The request body is too large', undefined, `more than ${limit} bytes (maxBodySize)`,
    ));
    const headers = headersOf(request.headers);
    const signature = await checked.verify({ method: request.method, url: request.url, headers, body }, options.auth);
    return { signature, body };
  };
}

/**
 * Makes the function that signs a `Response` (see `createResponseSigner`, made once from `signer`
 * when it is options): it reads the body, returns a new `Response` with the same status, body and headers plus
 * `Content-Digest`, `Signature-Input` and `Signature`, bound to `request` and its verified
 * `signature`.
 */
export function signResponses(signer: SignerInput): (response: Response, request: Request, signature?: VerifiedRequestSignature) => Promise<Response> {
  const checked = toSigner(signer);
  return async function signResponse(response: Response, request: Request, signature?: VerifiedRequestSignature): Promise<Response> {
    const body = response.body === null ? undefined : new Uint8Array(await response.arrayBuffer());
    const fields = await checked.sign(
      { status: response.status, headers: headersOf(response.headers), body },
      { method: request.method, url: request.url, headers: headersOf(request.headers) },
      signature,
    );
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(fields)) headers.set(name, value);
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
}
