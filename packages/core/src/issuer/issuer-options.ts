import { parseServerUrl, toStringList } from '../options/validate.js';
import {
  isIssuerTemplate, parseIssuerTemplate, readTenantFilter, type IssuerTemplate, type TenantFilter, type TenantTest,
} from './tenant-issuers.js';

/** The issuer options as given. */
export interface IssuerOptions {
  issuer: string | string[];
  jwksUri?: string;
  tenants?: TenantFilter;
  secretIssuer?: string | string[];
}

/** Trusted issuers after validation: plain ones, templates with their tenant test, one key set. */
export interface ResolvedIssuers {
  issuers: string[];
  issuerTemplates: readonly IssuerTemplate[];
  jwksUri: URL | undefined;
  acceptsTenant: TenantTest | undefined;
  /**
   * With templates and a list of `tenants`: every issuer a token may have (each template filled
   * with each listed tenant), for RFC 9728 `authorization_servers`. Empty otherwise: a predicate's
   * tenants cannot be listed.
   */
  tenantIssuers: readonly string[];
  /** The issuers whose HS* tokens the `secret` verifies; empty without a `secret`. */
  secretIssuers: ReadonlySet<string>;
}

/**
 * Validates `issuer`, `jwksUri` and `tenants` together: `jwksUri` only for one issuer (or for
 * templates, which share one key set and need it), `tenants` exactly when there are templates.
 * A bad value is a `TypeError` naming the option.
 */
export function resolveIssuerOptions(options: IssuerOptions, allowInsecureRequests: boolean, hasSecret: boolean): ResolvedIssuers {
  const listed = toStringList(options.issuer, 'issuer');
  const issuers = listed.filter((issuer) => !isIssuerTemplate(issuer));
  for (const issuer of issuers) parseServerUrl(issuer, 'issuer', allowInsecureRequests);
  const issuerTemplates = listed.filter(isIssuerTemplate).map((template) => parseIssuerTemplate(template, allowInsecureRequests));
  const templated = issuerTemplates.length > 0;
  if (templated && issuers.length > 0) throw new TypeError('resource-guard: "issuer" templates cannot be mixed with plain issuers (they share one key set)');

  let jwksUri: URL | undefined;
  if (options.jwksUri !== undefined) {
    if (!templated && issuers.length !== 1) {
      throw new TypeError('resource-guard: "jwksUri" can only be used with a single issuer, or with issuer templates only');
    }
    jwksUri = parseServerUrl(options.jwksUri, 'jwksUri', allowInsecureRequests);
  }
  const secretIssuers = resolveSecretIssuers(options.secretIssuer, issuers, templated, hasSecret);
  if (!templated) {
    if (options.tenants !== undefined) throw new TypeError('resource-guard: "tenants" needs an "issuer" template with {tenantid}');
    return { issuers, issuerTemplates, jwksUri, acceptsTenant: undefined, tenantIssuers: [], secretIssuers };
  }
  if (jwksUri === undefined) throw new TypeError('resource-guard: "jwksUri" is required with "issuer" templates (one key set for every tenant)');
  if (options.tenants === undefined) throw new TypeError('resource-guard: "tenants" is required with "issuer" templates');
  const { tenants } = options;
  const acceptsTenant = readTenantFilter(tenants);
  const tenantIssuers = typeof tenants === 'function'
    ? []
    : issuerTemplates.flatMap((template) => tenants.map((tenant) => `${template.prefix}${tenant}${template.suffix}`));
  return { issuers, issuerTemplates, jwksUri, acceptsTenant, tenantIssuers, secretIssuers };
}

/**
 * Which issuers the shared `secret` belongs to. A secret verifies whatever `iss` a token claims,
 * so with several issuers an HS256 token could pass as another issuer's: the secret is bound to
 * the issuers `secretIssuer` names (each a configured plain issuer), and needs it unless exactly
 * one issuer is configured. Issuer templates never take a secret (their tenants sign with keys).
 */
function resolveSecretIssuers(value: unknown, issuers: readonly string[], templated: boolean, hasSecret: boolean): ReadonlySet<string> {
  if (!hasSecret) {
    if (value !== undefined) throw new TypeError('resource-guard: "secretIssuer" needs "secret"');
    return new Set();
  }
  if (value === undefined) {
    if (!templated && issuers.length === 1) return new Set(issuers);
    throw new TypeError('resource-guard: "secret" with several issuers (or issuer templates) would verify a token claiming any of '
      + 'them: name the issuer(s) the secret belongs to with "secretIssuer"');
  }
  const named = toStringList(value, 'secretIssuer');
  const unknown = named.filter((issuer) => !issuers.includes(issuer));
  if (unknown.length > 0) throw new TypeError('resource-guard: "secretIssuer" must name configured plain issuers (exactly as in "issuer")');
  return new Set(named);
}
