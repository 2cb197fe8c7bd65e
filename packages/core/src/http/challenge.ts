import type { GuardError } from '../errors/errors.js';

/** What the guard advertises in its challenges. */
export interface ChallengeSettings {
  realm: string;
  /** Whether Bearer tokens are accepted (false when DPoP is required). */
  bearer: boolean;
  /** Accepted DPoP proof algorithms; `undefined` when DPoP is off. */
  dpopAlgorithms: readonly string[] | undefined;
  /** RFC 9728 §5.1 metadata URL, put into every challenge; `undefined` when not configured. */
  resourceMetadata?: string | undefined;
  /** `scope` of the 401 challenges for a missing or invalid token (the `challengeScope` option); `undefined` when not configured. */
  scope?: string | undefined;
}

/**
 * RFC 9110 §5.6.4 quoted-string with RFC 6750 §3 character rules: only %x20-7E survive (no
 * control characters, so no header splitting), and `"` and `\` are escaped. The library only puts
 * its own strings here, but this makes that a property of the renderer, not of every caller.
 */
export function quoteParam(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

function renderParams(params: ReadonlyArray<readonly [string, string | undefined]>): string {
  return params.filter((param): param is [string, string] => param[1] !== undefined)
    .map(([name, value]) => `${name}=${quoteParam(value)}`)
    .join(', ');
}

/**
 * The `WWW-Authenticate` value for a rejection: one challenge per accepted scheme (RFC 6750 §3,
 * RFC 9449 §7.1), comma-separated in one field. Error details (`error`, `error_description`,
 * `scope`, ...) go only into the challenge of the scheme the request used, or of DPoP for
 * DPoP-proof errors — except `invalid_request`, which goes into every challenge: a malformed
 * request (two `Authorization` fields, say) has no one scheme it used (RFC 9449 §7.2). Without an
 * error (no credentials), the challenges carry no `error`. With protected resource metadata
 * configured, every challenge carries `resource_metadata` (RFC 9728 §5.1); with `challengeScope`,
 * the 401s for a missing or invalid token carry its `scope`.
 */
export function renderChallenge(settings: ChallengeSettings, error: GuardError | undefined, usedScheme: 'Bearer' | 'DPoP' | undefined): string {
  const dpopOn = settings.dpopAlgorithms !== undefined;
  let target = error?.scheme ?? usedScheme ?? (settings.bearer ? 'Bearer' : 'DPoP');
  if (!dpopOn) target = 'Bearer';
  else if (!settings.bearer) target = 'DPoP';
  const everywhere = error?.error === 'invalid_request';
  // The scopes needed to use the resource, on the 401s that ask for a (new) token: none sent, or
  // one that is not valid (RFC 6750 §3). Other 401s (step-up, DPoP proofs) are not about scopes.
  const scope = error === undefined || (error.status === 401 && (error.error === undefined || error.error === 'invalid_token'))
    ? settings.scope : undefined;
  const details = (scheme: 'Bearer' | 'DPoP'): Array<[string, string | undefined]> => (
    error?.error !== undefined && (everywhere || target === scheme)
      ? [['error', error.error], ['error_description', error.message], ...Object.entries(error.challengeParams), ['scope', scope]]
      : [['scope', scope]]
  );
  const challenges: string[] = [];
  if (settings.bearer || !dpopOn) {
    challenges.push(`Bearer ${renderParams([['realm', settings.realm], ...details('Bearer'), ['resource_metadata', settings.resourceMetadata]])}`);
  }
  if (dpopOn) {
    challenges.push(`DPoP ${renderParams([
      ['realm', settings.realm], ...details('DPoP'), ['algs', settings.dpopAlgorithms!.join(' ')],
      ['resource_metadata', settings.resourceMetadata],
    ])}`);
  }
  return challenges.join(', ');
}

type UsedScheme = 'Bearer' | 'DPoP' | undefined;

const isChallenged = (error: GuardError) => error.status === 400 || error.status === 401 || error.status === 403;

/**
 * The rendered rejection: a copy of `error`, for 400/401/403 with `WWW-Authenticate` (RFC 6750 §3)
 * added to the headers it has (e.g. `DPoP-Nonce`); other errors (5xx, whose `Retry-After` is set
 * when they are made) with their own headers. Always a copy: one 503 can be shared by concurrent
 * requests, and middleware on the way out (CORS) sets per-request headers onto what it is thrown.
 */
export function attachChallenge(error: GuardError, settings: ChallengeSettings, usedScheme: UsedScheme): GuardError {
  return error.withHeaders(isChallenged(error) ? { 'WWW-Authenticate': renderChallenge(settings, error, usedScheme) } : {});
}

/**
 * {@link attachChallenge} bound to one guard's settings, remembering the rendered header of
 * errors without extra challenge parameters: their messages are fixed library strings, so the
 * distinct values are few, and a flood of bad tokens (all rejections) should not render and
 * quote the same header again for each one. Bounded: cleared when `max` (256) is reached.
 */
export function createChallengeAttacher(settings: ChallengeSettings, max = 256): (error: GuardError, usedScheme: UsedScheme) => GuardError {
  const rendered = new Map<string, string>();
  return (error, usedScheme) => {
    if (!isChallenged(error) || Object.keys(error.challengeParams).length > 0) return attachChallenge(error, settings, usedScheme);
    const key = `${usedScheme ?? ''}|${error.scheme ?? ''}|${error.error ?? ''}|${error.message}`;
    let challenge = rendered.get(key);
    if (challenge === undefined) {
      challenge = renderChallenge(settings, error, usedScheme);
      if (rendered.size >= max) rendered.clear();
      rendered.set(key, challenge);
    }
    return error.withHeaders({ 'WWW-Authenticate': challenge });
  };
}
