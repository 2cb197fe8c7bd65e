import type { IncomingMessage } from 'node:http';
import { InvalidRequestError } from '@resource-guard/core';

/** Largest request body the agent reads, bytes: its requests are a page URL at most. */
const MAX_BODY = 16_384;

const invalid = () => new InvalidRequestError('Invalid agent request', 'ERR_AGENT_REQUEST_INVALID');

/**
 * The agent request's JSON body: what a body parser already put on the request (`parsed`, when it
 * is an object), else read from the stream, at most 16 KiB. No body → `undefined`; a body that is
 * not `application/json`, too large, or not valid JSON → 400 `ERR_AGENT_REQUEST_INVALID`.
 */
export async function readAgentBody(req: IncomingMessage, parsed: unknown): Promise<unknown> {
  if (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length > 0) return parsed;
  if (req.readableEnded) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw invalid();
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw invalid();
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw invalid();
  }
}
