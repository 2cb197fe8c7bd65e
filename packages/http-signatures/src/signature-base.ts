import {
  encodeBase64, parseDictionary, parseList, serializeDictionary, serializeList, serializeMember, type InnerList, type Item,
} from './structured-fields.js';

/** Header fields by name (any case; names are matched case-insensitively), as Node and the adapters hold them. */
export type HttpHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The parts of a request that derived components and header fields come from (RFC 9421 §2). */
export interface HttpRequestParts {
  /** The method, as sent (RFC 9421 §2.2.1: not normalized). */
  method: string;
  /** The absolute target URI (`https://api.example/path?query`). */
  url: string;
  headers: HttpHeaders;
}

/** The parts of a response that components come from. */
export interface HttpResponseParts {
  status: number;
  headers: HttpHeaders;
}

/** The message a signature base is built from: a request, or a response with its request (for `;req`). */
export interface SignatureBaseMessage {
  request: HttpRequestParts;
  response?: HttpResponseParts;
}

/**
 * A component that cannot be resolved: `missing` (a field or derived component the message does
 * not have, RFC 9421 §2.5 step 2.4) or `invalid` (parameters that do not fit, a field that is not
 * the structured type asked for). The message names the rule, never the value.
 */
export class SignatureBaseError extends Error {
  constructor(message: string, readonly reason: 'missing' | 'invalid') {
    super(message);
  }
}

// RFC 9421 §2.1.1: the structured type of each field a signer may cover with `sf` or `key`.
const STRUCTURED_TYPES: Readonly<Record<string, 'dictionary' | 'list'>> = {
  'content-digest': 'dictionary', 'repr-digest': 'dictionary', 'want-content-digest': 'dictionary',
  'want-repr-digest': 'dictionary', 'signature': 'dictionary', 'signature-input': 'dictionary',
  'accept-signature': 'dictionary', 'priority': 'dictionary', 'cache-status': 'list', 'proxy-status': 'list',
};

const PARAMS: Readonly<Record<string, ReadonlySet<string>>> = {
  field: new Set(['sf', 'key', 'bs', 'req']),
  derived: new Set(['req']),
  '@query-param': new Set(['name', 'req']),
};

/** Every value of field `name` in `headers`, one per field line, or `undefined` when absent. */
export function fieldLines(headers: HttpHeaders, name: string): readonly string[] | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

// RFC 9421 §2.1: each field line trimmed, obsolete line folding replaced by a space, joined with ", ".
function canonicalLine(line: string): string {
  return line.replace(/\r?\n[ \t]+/g, ' ').trim();
}

function fieldValue(headers: HttpHeaders, name: string, item: Item): string {
  const lines = fieldLines(headers, name);
  if (lines === undefined) throw new SignatureBaseError('a covered field is absent', 'missing');
  const { params } = item;
  const key = params.get('key');
  const bs = params.has('bs');
  const sf = params.has('sf') || key !== undefined;
  if (bs && sf) throw new SignatureBaseError('bs cannot be combined with sf or key', 'invalid');
  // RFC 9421 §2.1.3: each field line base64-encoded as a Byte Sequence, the list serialized.
  if (bs) return lines.map((line) => `:${encodeBase64(new TextEncoder().encode(canonicalLine(line)))}:`).join(', ');
  const combined = lines.map(canonicalLine).join(', ');
  if (!sf) return combined;
  const type = STRUCTURED_TYPES[name];
  if (type === undefined || (key !== undefined && type !== 'dictionary')) {
    throw new SignatureBaseError('sf or key on a field whose structured type is unknown', 'invalid');
  }
  try {
    if (key !== undefined) {
      if (typeof key !== 'string') throw new SignatureBaseError('the key parameter is not a string', 'invalid');
      // RFC 9421 §2.1.2: the member's value (with its parameters), serialized on its own.
      const member = parseDictionary(combined).get(key);
      if (member === undefined) throw new SignatureBaseError('a covered dictionary member is absent', 'missing');
      return serializeMember(member);
    }
    return type === 'dictionary' ? serializeDictionary(parseDictionary(combined)) : serializeList(parseList(combined));
  } catch (error) {
    if (error instanceof SignatureBaseError) throw error;
    throw new SignatureBaseError('a covered field is not a valid structured field', 'invalid');
  }
}

function parsedUrl(request: HttpRequestParts): URL {
  try {
    return new URL(request.url);
  } catch {
    throw new SignatureBaseError('the target URI is not absolute', 'invalid');
  }
}

// RFC 9421 §2.2.8 names the WHATWG URL Standard's "percent-encode after encoding" with the
// application/x-www-form-urlencoded percent-encode set and space as %20 (its example turns
// `with+plus+whitespace` into `with%20plus%20whitespace`): the UTF-8 bytes, all but ASCII
// alphanumerics and `*-._` as upper-case %XX. `encodeURIComponent` would leave `!'()~` as they are.
function encodeQueryComponent(text: string): string {
  let encoded = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9*\-._]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

// The output of encodeQueryComponent: what a `name` parameter must look like.
const ENCODED_NAME = /^(?:[A-Za-z0-9*\-._]|%[0-9A-F]{2})*$/;

// RFC 9421 §2.2.8: the value of a named query parameter, re-encoded. `name` holds the encoded
// name, so the query's names are encoded and compared, never `name` decoded (a malformed escape
// in it is refused here, not thrown by a decoder). A name that occurs twice is refused.
function queryParam(url: URL, item: Item): string {
  const name = item.params.get('name');
  if (typeof name !== 'string') throw new SignatureBaseError('@query-param needs a name parameter', 'invalid');
  if (!ENCODED_NAME.test(name)) {
    throw new SignatureBaseError('the name parameter of @query-param is not percent-encoded as RFC 9421 §2.2.8 asks (upper-case %XX for all but A-Z a-z 0-9 * - . _)', 'invalid');
  }
  const values: string[] = [];
  for (const [key, value] of url.searchParams) if (encodeQueryComponent(key) === name) values.push(value);
  if (values.length === 0) throw new SignatureBaseError('a covered query parameter is absent', 'missing');
  if (values.length > 1) throw new SignatureBaseError('a covered query parameter occurs more than once', 'invalid');
  return encodeQueryComponent(values[0]!);
}

function derivedValue(name: string, item: Item, message: SignatureBaseMessage, fromRequest: boolean): string {
  if (name === '@status') {
    if (fromRequest || message.response === undefined) throw new SignatureBaseError('@status is only for responses', 'invalid');
    return String(message.response.status);
  }
  const { request } = message;
  if (name === '@method') return request.method;
  const url = parsedUrl(request);
  switch (name) {
    case '@target-uri': return request.url;
    // URL lower-cases the host and drops the scheme's default port (RFC 9421 §2.2.3).
    case '@authority': return url.host;
    case '@scheme': return url.protocol.slice(0, -1);
    case '@request-target': return `${url.pathname}${url.search}`;
    case '@path': return url.pathname;
    // RFC 9421 §2.2.7: an absent or empty query is "?".
    case '@query': return url.search === '' ? '?' : url.search;
    case '@query-param': return queryParam(url, item);
    default: throw new SignatureBaseError('an unknown derived component', 'invalid');
  }
}

/**
 * The value of one covered component (RFC 9421 §2.1, §2.2): a derived component (`@method`,
 * `@target-uri`, `@authority`, `@scheme`, `@request-target`, `@path`, `@query`, `@query-param`,
 * `@status`) or a header field (`sf`, `key`, `bs`), from the request when the component has `req`
 * or the message is a request. Not supported, refused as `invalid`: trailers (`tr`),
 * `@signature-params` as a covered component.
 */
export function componentValue(item: Item, message: SignatureBaseMessage): string {
  const name = item.value;
  if (typeof name !== 'string' || name !== name.toLowerCase() || name === '' || name === '@signature-params') {
    throw new SignatureBaseError('a component identifier is not a lower-case string', 'invalid');
  }
  const derived = name.startsWith('@');
  const allowed = PARAMS[derived ? (name === '@query-param' ? name : 'derived') : 'field']!;
  for (const param of item.params.keys()) {
    if (!allowed.has(param)) throw new SignatureBaseError('a component parameter that does not apply', 'invalid');
  }
  const fromRequest = item.params.has('req');
  if (fromRequest && message.response === undefined) throw new SignatureBaseError('req on a request signature', 'invalid');
  if (derived) return derivedValue(name, item, message, fromRequest || message.response === undefined);
  const headers = fromRequest || message.response === undefined ? message.request.headers : message.response.headers;
  return fieldValue(headers, name, item);
}

/**
 * The signature base (RFC 9421 §2.5) of `message` for the covered components and signature
 * parameters of `signatureParams` (the Inner List of a `Signature-Input` member, serialized as
 * §2.3 says for the last line). The same component twice is refused (§2.5 step 2.1), and a value
 * with a newline (which would forge a line) too. Throws {@link SignatureBaseError}.
 */
export function createSignatureBase(signatureParams: InnerList, message: SignatureBaseMessage): string {
  const seen = new Set<string>();
  let base = '';
  for (const item of signatureParams.items) {
    const identifier = serializeMember(item);
    if (seen.has(identifier)) throw new SignatureBaseError('a component is covered twice', 'invalid');
    seen.add(identifier);
    const value = componentValue(item, message);
    if (/[\r\n]/.test(value)) throw new SignatureBaseError('a component value spans lines', 'invalid');
    base += `${identifier}: ${value}\n`;
  }
  return `${base}"@signature-params": ${serializeMember(signatureParams)}`;
}
