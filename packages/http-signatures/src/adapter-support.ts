import type { AuthContext } from '@resource-guard/core';
import { buildRequestUrl } from '@resource-guard/core/adapter';
import { signatureError } from './errors.js';
import type { HttpHeaders } from './signature-base.js';
import { createRequestSignatureVerifier, type RequestSignatureVerifier, type SignedRequest, type VerifiedRequestSignature } from './verify-request.js';
import type { RequestSignatureVerifierOptions } from './options.js';

/**
 * What the adapters' middleware share (one place per rule): the verifier made once from options
 * or given, the origin of `@target-uri`, and the raw body as bytes, which every adapter gets its
 * own way (documented per adapter in docs/http-message-signatures.md).
 */

/** Settings of the adapters' `verifyHttpSignature()` besides the verifier's own options. */
export interface SignatureMiddlewareSettings {
  /**
   * The origin clients address (`https://api.example.com`), for `@target-uri`. Default: the
   * framework's protocol and `Host` (its trust-proxy settings honoured), as the guard builds the
   * request URL. Set it behind a proxy that rewrites `Host`: the client signed the URL it called.
   */
  origin?: string;
}

/** A verifier, or the options to make one with. */
export type VerifierInput = RequestSignatureVerifier | RequestSignatureVerifierOptions;

/** `input` as a verifier: made now (options checked at start-up) unless it is one. */
export function toVerifier(input: VerifierInput | undefined): RequestSignatureVerifier {
  if (input !== undefined && typeof (input as RequestSignatureVerifier).verify === 'function' && typeof (input as RequestSignatureVerifier).acceptSignature === 'function') {
    return input as RequestSignatureVerifier;
  }
  return createRequestSignatureVerifier(input as RequestSignatureVerifierOptions | undefined);
}

/** The checked `origin` setting: `{ protocol, host }`, or `undefined` to take the framework's. */
export function readOrigin(settings: SignatureMiddlewareSettings | undefined): { protocol: string; host: string } | undefined {
  if (settings === undefined) return undefined;
  if (typeof settings !== 'object' || settings === null) throw new TypeError('resource-guard: the middleware settings must be an object');
  for (const key of Object.keys(settings)) if (key !== 'origin') throw new TypeError(`resource-guard: unknown option "${key}" (known: origin)`);
  if (settings.origin === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(settings.origin);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== settings.origin.replace(/\/$/, '')) {
    throw new TypeError('resource-guard: "origin" must be an http(s) origin without path, query or credentials (https://api.example.com)');
  }
  return { protocol: url.protocol.slice(0, -1), host: url.host };
}

/** The absolute URL of a Node request: the configured origin, else the framework's view; the target as received. */
export function requestUrl(origin: { protocol: string; host: string } | undefined, protocol: string, host: string | undefined, target: string): string {
  return origin === undefined ? buildRequestUrl(protocol, host, target) : buildRequestUrl(origin.protocol, origin.host, target);
}

/** Whether the request says it has a body (RFC 9112 §6.3: `Content-Length` > 0, or `Transfer-Encoding`). */
export function declaresBody(headers: HttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (typeof length === 'string' && length !== '0' && length !== '');
}

/** A raw body as the frameworks keep it (`Buffer`, `Uint8Array`, string) as bytes; `undefined` for anything else. */
export function toBytes(raw: unknown): Uint8Array | undefined {
  if (raw instanceof Uint8Array) return raw;
  if (typeof raw === 'string') return new TextEncoder().encode(raw);
  return undefined;
}

/**
 * Verifies a Node request whose raw body the adapter found (or not): a request that declares a
 * body the middleware cannot read as bytes is a 500 (`ERR_HTTPSIG_BODY_UNAVAILABLE`), never a
 * signature checked without its body.
 */
export function verifyNodeRequest(
  verifier: RequestSignatureVerifier,
  parts: Omit<SignedRequest, 'body'>,
  rawBody: unknown,
  auth: AuthContext | undefined,
): Promise<VerifiedRequestSignature> {
  const body = toBytes(rawBody);
  if (body === undefined && declaresBody(parts.headers)) {
    return Promise.reject(signatureError(
      'ERR_HTTPSIG_BODY_UNAVAILABLE', 'The server could not check the credentials', undefined,
      'the raw request body is not available: see docs/http-message-signatures.md for your framework',
    ));
  }
  return verifier.verify({ ...parts, body }, auth);
}
