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

/** `authenticates` false for the bare apps: they accept anything, so only the 200 is checked. */
export async function precheck(url: string, credential: Credential, authenticates = true): Promise<PrecheckResult> {
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
    ok &&= status === check.status;
    details.push(`${check.name}: ${check.status} → ${status}`);
  }
  return { ok, details };
}
