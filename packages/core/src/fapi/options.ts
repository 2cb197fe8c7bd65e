import { isPlainObject } from '../jws/jose-rules.js';
import { assertKnownKeys, knownKeys } from '../options/validate.js';

/** The `fapi` option: its type, defaults and parser together. */

/** The FAPI versions the preset implements. */
export type FapiVersion = '2.0';

/**
 * The `fapi` option in its object form. Only `version` today: later FAPI 2.0 parts (message
 * signing, a separate package) add their settings here, so that one option says "this API is a
 * FAPI 2.0 resource server" and every part reads it.
 */
export interface FapiOptions {
  /** The FAPI 2.0 Security Profile (final, February 2025). */
  version: FapiVersion;
}

/** The `fapi` option after validation; internal, and read by the FAPI parts built on the core. */
export interface FapiSettings {
  readonly version: FapiVersion;
}

const KNOWN_FAPI_OPTIONS = knownKeys<FapiOptions>()(['version']);
const VERSIONS: readonly FapiVersion[] = ['2.0'];

/**
 * Validates `fapi` at start-up: `'2.0'` or `{ version: '2.0' }` turns the preset on, absent leaves
 * it off. Anything else is a `TypeError` naming the option.
 */
export function resolveFapiOption(value: unknown): FapiSettings | undefined {
  if (value === undefined) return undefined;
  let version: unknown = value;
  if (isPlainObject(value)) {
    assertKnownKeys(value, KNOWN_FAPI_OPTIONS, 'fapi');
    version = value.version;
  }
  if (typeof version !== 'string' || !VERSIONS.includes(version as FapiVersion)) {
    throw new TypeError('resource-guard: "fapi" must be "2.0" or { version: "2.0" } (the FAPI 2.0 Security Profile)');
  }
  return Object.freeze({ version: version as FapiVersion });
}
