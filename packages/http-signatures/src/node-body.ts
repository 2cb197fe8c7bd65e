/** Node response bodies (Express, Koa, Fastify) as bytes; the fetch entry point never imports this file. */
/**
 * A chunk of a Node response body as bytes: `Buffer`/`Uint8Array` as they are, strings in their
 * encoding (UTF-8 by default), as Node would send them. Anything else (a stream) cannot be signed.
 */
export function responseBody(chunk: unknown, encoding: BufferEncoding | undefined): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (chunk === undefined || chunk === null) return new Uint8Array();
  throw new TypeError('resource-guard: a response body that is not bytes or a string cannot be signed');
}
