/** Node response bodies (Express, Koa, Fastify) as bytes; the fetch entry point never imports this file. */
/**
 * A chunk of a Node response body as bytes: `Buffer`/`Uint8Array` as they are, strings in their
 * encoding (UTF-8 by default), as Node would send them; none as no bytes. The callers refuse
 * streams before they get here.
 */
export function responseBody(chunk: string | Uint8Array | null | undefined, encoding?: BufferEncoding): Uint8Array {
  if (chunk === undefined || chunk === null) return new Uint8Array();
  return typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : chunk;
}
