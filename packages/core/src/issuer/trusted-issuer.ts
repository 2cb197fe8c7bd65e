import { quoteValue } from '../errors/detail.js';
import { MisconfigurationError, UpstreamUnavailableError } from '../errors/errors.js';
import { describeRedirect, fetchUpstream, parseJsonObject } from '../http/upstream.js';
import { describeIssuerMismatch } from './issuer-mismatch.js';
import { RemoteKeySet } from './remote-key-set.js';
import type { ResolvedOptions } from '../options/guard-options.js';
import { parseServerUrl } from '../options/validate.js';
import type { Claims } from '../claims/claims.js';
import type { TenantIssuers } from './tenant-issuers.js';

/** Authorization-server metadata members the guard uses (RFC 8414 §2). */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  token_endpoint?: string;
  [member: string]: unknown;
}

const DISCOVERY = { code: 'ERR_DISCOVERY_UNAVAILABLE', what: 'Discovery', operation: 'discovery' } as const;

/**
 * Seconds a "both well-known URLs answered 404" result is kept: requests meanwhile get the same
 * 500 without a fetch; after it discovery is tried again, so a fixed authorization server is
 * picked up without a restart.
 */
export const DISCOVERY_NOT_FOUND_RETRY = 60;

/** What a {@link TrustedIssuer} reads of the guard's options. */
export type IssuerSettings = Pick<
  ResolvedOptions, 'jwksUri' | 'fetch' | 'httpTimeout' | 'jwksCooldown' | 'jwksCacheMaxAge' | 'clock' | 'allowInsecureRequests' | 'logger' | 'telemetry'
>;

/** One trusted issuer: its metadata (discovered once, lazily) and its key set. */
export class TrustedIssuer {
  readonly issuer: string;
  readonly keys: RemoteKeySet;
  readonly #options: IssuerSettings;
  #metadata: Promise<IssuerMetadata> | undefined;
  /** Epoch ms after which a kept "not found" result is dropped; `undefined` while none is kept. */
  #notFoundUntil: number | undefined;
  #notFoundLogged = false;
  #mismatchLogged = false;

  constructor(issuer: string, options: IssuerSettings) {
    this.issuer = issuer;
    this.#options = options;
    const jwksUri = options.jwksUri;
    this.keys = new RemoteKeySet(
      jwksUri !== undefined ? () => Promise.resolve(jwksUri) : () => this.endpoint('jwks_uri'),
      {
        fetch: options.fetch,
        timeout: options.httpTimeout,
        cooldown: options.jwksCooldown,
        maxAge: options.jwksCacheMaxAge,
        clock: options.clock,
        telemetry: options.telemetry,
      },
    );
  }

  /**
   * The issuer's metadata, by OpenID Connect Discovery 1.0 §4 and then RFC 8414 §3. Fetched once
   * and kept. A redirect to the same origin is followed (at most twice, see `fetchUpstream()`):
   * some servers serve the document only under a trailing slash; the document must still name
   * exactly the configured issuer (RFC 8414 §3.3). An outage (timeout, 5xx, garbage) is not kept, so the next request tries again;
   * 404 at both URLs is a misconfiguration (`ERR_DISCOVERY_NOT_FOUND`, 500), logged once and
   * kept for {@link DISCOVERY_NOT_FOUND_RETRY} seconds.
   */
  metadata(): Promise<IssuerMetadata> {
    if (this.#notFoundUntil !== undefined && this.#options.clock() >= this.#notFoundUntil) {
      this.#metadata = undefined;
      this.#notFoundUntil = undefined;
    }
    this.#metadata ??= discover(this.issuer, this.#options).then((metadata) => {
      this.#notFoundLogged = false;
      return metadata;
    }, (error: unknown) => {
      if (error instanceof MisconfigurationError && error.code === 'ERR_DISCOVERY_NOT_FOUND') this.#keepNotFound(error);
      else this.#metadata = undefined;
      if (error instanceof IssuerMismatchError && error.hint !== undefined && !this.#mismatchLogged) {
        this.#mismatchLogged = true;
        this.#options.logger.warn(`resource-guard: ${error.message}: ${error.detail!}`);
      }
      throw error;
    });
    return this.#metadata;
  }

  #keepNotFound(error: MisconfigurationError): void {
    this.#notFoundUntil = this.#options.clock() + DISCOVERY_NOT_FOUND_RETRY * 1000;
    if (this.#notFoundLogged) return;
    this.#notFoundLogged = true;
    this.#options.logger.error(`resource-guard: ${error.message}: ${error.detail!}`);
  }

  /** A URL from the metadata, validated like configured URLs (https off loopback). */
  async endpoint(name: 'jwks_uri' | 'introspection_endpoint' | 'token_endpoint'): Promise<URL> {
    const value = (await this.metadata())[name];
    if (value === undefined) {
      throw new UpstreamUnavailableError(`Issuer metadata has no ${name}`, DISCOVERY.code);
    }
    try {
      return parseServerUrl(value, `metadata ${name}`, this.#options.allowInsecureRequests);
    } catch (cause) {
      throw new UpstreamUnavailableError(`Issuer metadata ${name} is not an acceptable URL`, DISCOVERY.code, { cause });
    }
  }
}

/**
 * Finds the trusted issuer of a token by its `iss`, before any I/O: an exact match of a configured
 * issuer, a documented alias of one (a profile's `issuerAliases`), or a tenant of an issuer
 * template (which also checks `tid`, see `tenant-issuers.ts`). `undefined`: not trusted.
 */
export interface IssuerLookup {
  (iss: unknown, claims: Claims): TrustedIssuer | undefined;
  /** What is trusted, for a rejection's detail: the issuers and the templates, as configured. */
  readonly names: readonly string[];
  /** For a rejection's detail: why an `iss` that fits an issuer template was refused; `undefined` otherwise. */
  explain(iss: unknown): string | undefined;
}

/** Builds the {@link IssuerLookup} of one guard; a plain map lookup unless aliases or templates are configured. */
export function createIssuerLookup(
  issuers: ReadonlyMap<string, TrustedIssuer>,
  aliases: Readonly<Record<string, string>>,
  tenants: TenantIssuers<TrustedIssuer> | undefined,
): IssuerLookup {
  const names = Object.freeze([...issuers.keys(), ...(tenants?.templates ?? [])]);
  const explain = (iss: unknown) => (typeof iss === 'string' ? tenants?.explainRefusal(iss) : undefined);
  const aliased = new Map(Object.entries(aliases).filter(([, issuer]) => issuers.has(issuer)));
  if (aliased.size === 0 && tenants === undefined) {
    return Object.assign((iss: unknown) => (typeof iss === 'string' ? issuers.get(iss) : undefined), { names, explain });
  }
  return Object.assign((iss: unknown, claims: Claims) => {
    if (typeof iss !== 'string') return undefined;
    const alias = aliased.get(iss);
    return issuers.get(iss) ?? (alias === undefined ? undefined : issuers.get(alias)) ?? tenants?.match(iss, claims);
  }, { names, explain });
}

/** Discovery named another issuer (a 503, never cached); `hint` when it looks like a typo of the configured one. */
class IssuerMismatchError extends UpstreamUnavailableError {
  readonly hint: string | undefined;

  constructor(hint: string | undefined, options: { detail: string }) {
    super('Discovery returned metadata of another issuer', DISCOVERY.code, options);
    this.name = 'UpstreamUnavailableError';
    this.hint = hint;
  }
}

/** The well-known locations to try, in order: OIDC (path appended), then RFC 8414 (path inserted). */
export function discoveryUrls(issuer: string): URL[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    new URL(`${url.origin}${path}/.well-known/openid-configuration`),
    new URL(`${url.origin}/.well-known/oauth-authorization-server${path}`),
  ];
}

async function discover(issuer: string, options: IssuerSettings): Promise<IssuerMetadata> {
  const urls = discoveryUrls(issuer);
  for (const url of urls) {
    const response = await fetchUpstream(options.fetch, url, {
      ...DISCOVERY, timeout: options.httpTimeout, telemetry: options.telemetry, headers: { accept: 'application/json' }, redirects: 'same-origin',
    });
    if (response.status === 404) continue;
    if (response.status !== 200) {
      const redirect = describeRedirect(response, `GET ${url.href}`, 'set "issuer" to the issuer the metadata names, or "jwksUri" '
        + '(and "introspection.endpoint") to skip discovery');
      throw new UpstreamUnavailableError(`Discovery answered HTTP ${response.status}`, DISCOVERY.code, { detail: redirect ?? `GET ${url.href}` });
    }
    const metadata = parseJsonObject(response, DISCOVERY);
    // RFC 8414 §3.3: the metadata must name exactly the issuer we asked about.
    if (metadata.issuer !== issuer) {
      const hint = describeIssuerMismatch(metadata.issuer, issuer);
      throw new IssuerMismatchError(hint, {
        detail: `GET ${url.href} named issuer ${quoteValue(metadata.issuer)}, expected ${quoteValue(issuer)} (compared exactly, RFC 8414 §3.3)`
          + (hint === undefined ? '' : `; ${hint}: set "issuer" to ${quoteValue(metadata.issuer)} if that is your authorization server`),
      });
    }
    return metadata as IssuerMetadata;
  }
  // Both well-known URLs say "no such document": retrying will not help; the configuration must change.
  throw new MisconfigurationError('Discovery found no metadata for the issuer', 'ERR_DISCOVERY_NOT_FOUND', {
    detail: `${urls.map((url) => `GET ${url.href}`).join(' and ')} answered 404; check "issuer" (exactly as the authorization `
      + 'server names itself, trailing slash included), or set "jwksUri" (and "introspection.endpoint") to skip discovery',
  });
}
