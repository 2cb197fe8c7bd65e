/**
 * Bounded reading of a Web-standard `Request` body, for the adapters that must read one before
 * the handler does (the fetch adapter's form-body tokens, HTTP message signatures' digests).
 * One place for the rule: a declared `Content-Length` over the limit is refused before reading,
 * and the read stops at the limit.
 */

/** `chunks` (of `size` bytes in all) as one array. */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The bytes of a clone of `request`'s body (the handler can still read the original), at most
 * `limit` bytes: past it, or with a `Content-Length` above it, throws what `tooLarge()` makes.
 * `undefined` when the request has no body.
 */
export async function readBoundedBody(request: Request, limit: number, tooLarge: () => Error): Promise<Uint8Array | undefined> {
  if (request.body === null) return undefined;
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.clone().body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Both branches of the clone's tee, or the source is never released; a cancelled tee
      // branch settles only once the other is cancelled too, so neither is awaited.
      reader.cancel().catch(() => undefined);
      request.body.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concatBytes(chunks, size);
}
