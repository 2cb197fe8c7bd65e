import type { JsonWebKey } from '@resource-guard/core';
import { assertKnownKeys, assertObject, readNumber } from '@resource-guard/core/adapter';
import { KeyError, resolveKey, signBytes, type ResolvedKey, type SignatureAlgorithm } from './algorithms.js';
import { createContentDigest, type DigestAlgorithm } from './content-digest.js';
import { readAlgorithms } from './options.js';
import { createSignatureBase, fieldLines, type HttpHeaders, type SignatureBaseMessage } from './signature-base.js';
import { encodeBase64, serializeMember, type InnerList, type Item, type Parameters } from './structured-fields.js';

/** Options of the request and response signers. */
export interface SignerOptions {
  /** The private key (JWK) that signs; its `alg`, else its type, decides the algorithm (as the verifier does). */
  key: JsonWebKey;
  /** The `keyid` parameter. Default the key's `kid`; none when it has none. */
  keyid?: string;
  /** Algorithms the key may use. Default PS256, ES256, EdDSA (FAPI 2.0 Security Profile §5.4.1). */
  algorithms?: readonly SignatureAlgorithm[];
  /** The `tag` parameter. Default `"fapi-2-request"` for requests, `"fapi-2-response"` for responses. */
  tag?: string;
  /** The signature's label in `Signature-Input` and `Signature`. Default `"sig1"`. */
  label?: string;
  /** Seconds from `created` to an `expires` parameter. Default none (no `expires`). */
  expiresIn?: number;
  /** The `Content-Digest` algorithm for a body (RFC 9530). Default `"sha-256"`. */
  digestAlgorithm?: DigestAlgorithm;
  /** Clock in epoch milliseconds, for tests. Default `Date.now`. */
  clock?: () => number;
}

/** The fields a signer adds to a message: set them as they are (they replace any of the same name). */
// A type alias, not an interface: it spreads into any `Record<string, string>` of headers.
export type SignatureFields = {
  'content-digest'?: string;
  'signature-input': string;
  signature: string;
};

/** A signer's checked settings. */
export interface SignerSettings {
  key: ResolvedKey;
  keyid: string | undefined;
  tag: string;
  label: string;
  expiresIn: number | undefined;
  digestAlgorithm: DigestAlgorithm;
  clock: () => number;
}

const SIGNER_OPTION_KEYS = [
  'key', 'keyid', 'algorithms', 'tag', 'label', 'expiresIn', 'digestAlgorithm', 'clock',
] as const satisfies ReadonlyArray<keyof SignerOptions>;
type MissingSignerKey = Exclude<keyof SignerOptions, typeof SIGNER_OPTION_KEYS[number]>;
// Fails to compile when an option is added to the interface but not to the list above.
const signerKeysComplete: [MissingSignerKey] extends [never] ? true : MissingSignerKey = true;
void signerKeysComplete;

/** Validates a signer's options once, at start-up: an unknown or bad option throws a `TypeError` naming it. */
export function resolveSignerOptions(options: SignerOptions, defaultTag: string): SignerSettings {
  assertObject(options, 'options');
  if (options === undefined) throw new TypeError('resource-guard: the signer needs options with a "key"');
  assertKnownKeys(options, SIGNER_OPTION_KEYS, '');
  let key: ResolvedKey;
  try {
    key = resolveKey(options.key, 'sign', readAlgorithms(options.algorithms, 'algorithms'));
  } catch (error) {
    if (error instanceof KeyError) throw new TypeError(`resource-guard: "key" cannot sign: ${error.message}`);
    throw error;
  }
  for (const name of ['keyid', 'tag', 'label'] as const) {
    if (options[name] !== undefined && (typeof options[name] !== 'string' || options[name] === '')) throw new TypeError(`resource-guard: "${name}" must be a non-empty string`);
  }
  if (options.label !== undefined && !/^[a-z*][a-z0-9_\-.*]*$/.test(options.label)) throw new TypeError('resource-guard: "label" must be a structured-field key (lower case)');
  if (options.digestAlgorithm !== undefined && options.digestAlgorithm !== 'sha-256' && options.digestAlgorithm !== 'sha-512') {
    throw new TypeError('resource-guard: "digestAlgorithm" must be "sha-256" or "sha-512"');
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('resource-guard: "clock" must be a function');
  return {
    key,
    keyid: options.keyid ?? key.kid,
    tag: options.tag ?? defaultTag,
    label: options.label ?? 'sig1',
    expiresIn: options.expiresIn === undefined ? undefined : readNumber(options.expiresIn, 'expiresIn', 0, 1),
    digestAlgorithm: options.digestAlgorithm ?? 'sha-256',
    clock: options.clock ?? Date.now,
  };
}

/** A plain component identifier, or one with parameters (e.g. `req`). */
export function component(name: string, params: Parameters = new Map()): Item {
  return { value: name, params };
}

/** Whether `headers` have field `name`. */
export function hasField(headers: HttpHeaders, name: string): boolean {
  return fieldLines(headers, name) !== undefined;
}

/**
 * Signs `message` over `components` (RFC 9421 §3.1) with the signer's key and parameters
 * (`created` now, `expires` when configured, `keyid`, `tag`; no `alg`: the verifier's key decides,
 * RFC 9421 §3.3.7). Returns the two fields' values.
 */
export async function signMessage(message: SignatureBaseMessage, components: Item[], settings: SignerSettings): Promise<Pick<SignatureFields, 'signature-input' | 'signature'>> {
  const created = Math.floor(settings.clock() / 1000);
  const params: Parameters = new Map();
  params.set('created', created);
  if (settings.expiresIn !== undefined) params.set('expires', created + Math.ceil(settings.expiresIn));
  if (settings.keyid !== undefined) params.set('keyid', settings.keyid);
  params.set('tag', settings.tag);
  const input: InnerList = { items: components, params };
  const base = createSignatureBase(input, message);
  const signature = await signBytes(settings.key, new TextEncoder().encode(base));
  return {
    'signature-input': `${settings.label}=${serializeMember(input)}`,
    signature: `${settings.label}=:${encodeBase64(signature)}:`,
  };
}

/** The `Content-Digest` of a body, or `undefined` for none (an empty body has no digest to sign). */
export async function bodyDigest(body: Uint8Array | undefined, settings: SignerSettings): Promise<string | undefined> {
  return body === undefined || body.length === 0 ? undefined : createContentDigest(body, settings.digestAlgorithm);
}
