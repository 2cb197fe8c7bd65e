/**
 * A small reader for `WWW-Authenticate` (RFC 9110 §11.6.1, auth-param form), enough to show and
 * judge what an API answered. The end-to-end test checks the same headers with its own strict parser.
 */

/** One challenge: the scheme as sent and its parameters (names lower-cased). */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const PART = /\s*(?:([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))|([!#$%&'*+.^_`|~0-9A-Za-z-]+))\s*,?/y;

/** Every challenge in the header, in order; `[]` when there is none or it does not parse. */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (header === null || header === undefined) return [];
  const challenges: Array<{ scheme: string; params: Record<string, string> }> = [];
  PART.lastIndex = 0;
  while (PART.lastIndex < header.length) {
    const match = PART.exec(header);
    if (match === null) return [];
    const [, name, quoted, token, scheme] = match;
    if (scheme !== undefined) {
      challenges.push({ scheme, params: {} });
    } else if (name !== undefined && challenges.length > 0) {
      challenges[challenges.length - 1]!.params[name.toLowerCase()] = quoted?.replace(/\\(.)/g, '$1') ?? token ?? '';
    } else {
      return [];
    }
  }
  return challenges;
}

/** The challenge of `scheme` (case-insensitive), if any. */
export function challengeOf(header: string | null | undefined, scheme: string): Challenge | undefined {
  return parseChallenges(header).find((challenge) => challenge.scheme.toLowerCase() === scheme.toLowerCase());
}
