/**
 * The correctness gate before any measurement: each app accepts the valid credential (200 and the
 * token's subject echoed back) and rejects the bad ones (401), so no scenario measures a broken
 * setup (a middleware that lets everything through, or one that rejects everything).
 */
import { SUBJECT } from './config.js';
import type { Credential } from './credentials.js';

export interface PrecheckResult {
  ok: boolean;
  /** One line per check: `name: expected → got`. */
  details: string[];
}

async function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

/**
 * `authenticates` false for the bare apps: they accept anything, so only the 200 is checked.
 * `gaps`: checks a peer does not make (see `Scenario.gaps`); their result is reported, not judged.
 * `exact` false (peers): any 4xx counts as the refusal a 401 check expects, since peers differ in
 * the status they choose (express-oauth2-jwt-bearer answers 400 to a missing DPoP proof).
 */
export async function precheck(
  url: string, credential: Credential, authenticates = true, gaps: readonly string[] = [], exact = true,
): Promise<PrecheckResult> {
  const details: string[] = [];
  let ok = true;
  credential.prepare(4);
  const valid = await get(url, credential.valid());
  let sub: unknown;
  try {
    sub = (JSON.parse(valid.body) as { sub?: unknown }).sub;
  } catch {
    sub = undefined;
  }
  const validOk = valid.status === 200 && sub === SUBJECT;
  ok &&= validOk;
  details.push(`valid: 200 → ${valid.status}${validOk ? '' : ` (sub ${JSON.stringify(sub)})`}`);
  for (const check of authenticates ? credential.checks() : []) {
    const { status } = await get(url, check.headers);
    const gap = gaps.includes(check.name);
    const refused = check.status === 401 && !exact && status >= 400 && status < 500;
    if (!gap) ok &&= status === check.status || refused;
    details.push(`${check.name}: ${check.status} → ${status}${gap ? ' (not checked by this peer)' : ''}`);
  }
  return { ok, details };
}
