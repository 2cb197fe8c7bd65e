import type { Claims } from '../claims/claims.js';
import { InvalidTokenError } from '../errors/errors.js';
import { quoteValue } from '../errors/detail.js';
import { parseServerUrl } from '../options/validate.js';

/**
 * Multi-tenant issuers (Microsoft Entra ID): one application, many tenants, each tenant its own
 * `iss` (`https://login.microsoftonline.com/{tenantid}/v2.0`, v1 `https://sts.windows.net/{tenantid}/`),
 * all signed with one key set. An issuer template names the tenant's place in `iss`; the token is
 * trusted only when that part is an accepted tenant AND the token's `tid` claim names the same
 * tenant. Everything around the tenant is matched exactly, and the key set is the configured
 * `jwksUri`, never derived from the token: a token cannot choose where its keys come from.
 */

/** The placeholder of an issuer template. */
export const TENANT_PLACEHOLDER = '{tenantid}';

/** Accepted tenants: a list of tenant ids, or a predicate called with a syntactically valid tenant id (a GUID). */
export type TenantFilter = readonly string[] | ((tenantId: string) => boolean);

/** A parsed issuer template: the exact text before and after the tenant. */
export interface IssuerTemplate {
  readonly template: string;
  readonly prefix: string;
  readonly suffix: string;
}

// Entra tenant ids as they appear in `iss` and `tid`: lower-case GUIDs.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Listed tenants may be other ids, but never anything that could span a path segment.
const LISTED_TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
// The placeholder fills one whole path segment of an absolute URL, after the host.
const TEMPLATE_SHAPE = /^https?:\/\/[^/{}]+\/(?:[^{}]*\/)?\{tenantid\}(?:\/[^{}]*)?$/;

/** True when `issuer` is meant as a template (contains a `{`). */
export function isIssuerTemplate(issuer: string): boolean {
  return issuer.includes('{');
}

/** Parses an issuer template; a malformed one is a `TypeError` naming `issuer`. */
export function parseIssuerTemplate(template: string, allowInsecureRequests: boolean): IssuerTemplate {
  if (!TEMPLATE_SHAPE.test(template)) {
    throw new TypeError(`resource-guard: "issuer" templates must contain ${TENANT_PLACEHOLDER} once, as a whole path segment`);
  }
  parseServerUrl(template.replace(TENANT_PLACEHOLDER, '00000000-0000-0000-0000-000000000000'), 'issuer', allowInsecureRequests);
  const at = template.indexOf(TENANT_PLACEHOLDER);
  return { template, prefix: template.slice(0, at), suffix: template.slice(at + TENANT_PLACEHOLDER.length) };
}

/** A test of one tenant id, made from the `tenants` option; `listed`: a list, not a function. */
export interface TenantTest {
  (tenantId: string): boolean;
  readonly listed: boolean;
}

/** Validates the `tenants` option into a test of one tenant id. */
export function readTenantFilter(value: unknown): TenantTest {
  if (typeof value === 'function') {
    const accepts = value as (tenantId: string) => unknown;
    return Object.assign((tenantId: string) => GUID.test(tenantId) && accepts(tenantId) === true, { listed: false });
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string' && LISTED_TENANT.test(item))) {
    throw new TypeError('resource-guard: "tenants" must be a non-empty array of tenant ids (letters, digits, ".", "_", "-") or a function');
  }
  const listed = new Set(value as string[]);
  return Object.assign((tenantId: string) => listed.has(tenantId), { listed: true });
}

/** Finds the tenant of an `iss` by the templates, checks it and the token's `tid`. */
export class TenantIssuers<T> {
  readonly #templates: readonly IssuerTemplate[];
  readonly #accepts: TenantTest;
  readonly #trusted: T;

  /** The templates as configured, for details. */
  get templates(): readonly string[] {
    return this.#templates.map((template) => template.template);
  }

  constructor(templates: readonly IssuerTemplate[], accepts: TenantTest, trusted: T) {
    this.#templates = templates;
    this.#accepts = accepts;
    this.#trusted = trusted;
  }

  /**
   * The shared trusted issuer when `iss` fits a template with an accepted tenant; `undefined`
   * when it fits none. Throws `ERR_JWT_TENANT_MISMATCH` when `tid` is not that tenant.
   */
  match(iss: string, claims: Claims): T | undefined {
    for (const template of this.#templates) {
      const tenant = tenantOf(iss, template);
      if (tenant === undefined) continue;
      if (!this.#accepts(tenant)) return undefined;
      if (claims.tid !== tenant) {
        throw new InvalidTokenError('Token tenant does not match its issuer', 'ERR_JWT_TENANT_MISMATCH', {
          detail: `claim "tid" ${quoteValue(claims.tid)} is not the tenant ${quoteValue(tenant)} named in iss (issuer templates require them equal)`,
        });
      }
      return this.#trusted;
    }
    return undefined;
  }

  /**
   * For the detail of an untrusted `iss`: why a tenant issuer that fits a template was refused
   * (its tenant is not in the `tenants` list, the `tenants` function said no, or it is no tenant
   * id the function is asked about); `undefined` when `iss` fits no template.
   */
  explainRefusal(iss: string): string | undefined {
    for (const template of this.#templates) {
      const tenant = tenantOf(iss, template);
      if (tenant === undefined) continue;
      const why = this.#accepts.listed ? 'is not in "tenants"'
        : GUID.test(tenant) ? 'was refused by the "tenants" function' : 'is not a tenant id (a lower-case GUID), so the "tenants" function was not asked';
      return `it fits issuer template ${quoteValue(template.template)}, but its tenant ${quoteValue(tenant)} ${why}`;
    }
    return undefined;
  }
}

function tenantOf(iss: string, { prefix, suffix }: IssuerTemplate): string | undefined {
  if (iss.length <= prefix.length + suffix.length || !iss.startsWith(prefix) || !iss.endsWith(suffix)) return undefined;
  return iss.slice(prefix.length, iss.length - suffix.length);
}
