import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

/** A response as the client saw it. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of {@link send}. */
export interface SendOptions {
  method?: string;
  /** Header pairs in order; repeated names are sent as separate fields (unlike fetch). */
  headers?: Array<[string, string]> | Record<string, string>;
  body?: string;
  /** TLS client settings for https URLs. */
  tls?: https.RequestOptions;
}

/**
 * Sends one request with Node's http client, which (unlike fetch) can send two `Authorization`
 * fields or odd spacing exactly as given.
 */
export function send(url: string, options: SendOptions = {}): Promise<RawResponse> {
  const target = new URL(url);
  const pairs = Array.isArray(options.headers) ? options.headers : Object.entries(options.headers ?? {});
  // Repeated names become an array, which Node sends as separate header fields.
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const previous = headers[key];
    headers[key] = previous === undefined ? value : [...[previous].flat(), value];
  }
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(target, { method: options.method ?? 'GET', headers, ...options.tls, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}
