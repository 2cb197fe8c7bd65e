/** One challenge of a `WWW-Authenticate` field. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/**
 * Strict RFC 9110 §11.6.1 parser for `WWW-Authenticate` (auth-param form only, which is all
 * RFC 6750 and RFC 9449 use). Throws on anything malformed, so tests also prove the header parses.
 */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (header === undefined) throw new Error('no WWW-Authenticate header');
  const challenges: Challenge[] = [];
  let rest = header;
  const skip = () => {
    rest = rest.replace(/^[ \t]*/, '');
  };
  while (rest.length > 0) {
    skip();
    const scheme = TOKEN.exec(rest)?.[0];
    if (scheme === undefined) throw new Error(`bad scheme at: ${rest}`);
    rest = rest.slice(scheme.length);
    const challenge: Challenge = { scheme, params: {} };
    challenges.push(challenge);
    if (!/^ +/.test(rest)) {
      skip();
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (rest.length > 0) throw new Error(`expected SP or comma at: ${rest}`);
      continue;
    }
    skip();
    for (;;) {
      const name = TOKEN.exec(rest)?.[0];
      if (name === undefined) throw new Error(`bad param name at: ${rest}`);
      const afterName = rest.slice(name.length).replace(/^[ \t]*/, '');
      if (!afterName.startsWith('=')) {
        // Not a parameter: the next challenge starts here.
        break;
      }
      rest = afterName.slice(1).replace(/^[ \t]*/, '');
      let value: string;
      if (rest.startsWith('"')) {
        const match = /^"((?:[^"\\]|\\[\t\x20-\x7e])*)"/.exec(rest);
        if (match === null) throw new Error(`bad quoted-string at: ${rest}`);
        value = match[1]!.replace(/\\(.)/g, '$1');
        rest = rest.slice(match[0].length);
      } else {
        const token = TOKEN.exec(rest)?.[0];
        if (token === undefined) throw new Error(`bad token value at: ${rest}`);
        value = token;
        rest = rest.slice(token.length);
      }
      if (name.toLowerCase() in challenge.params) throw new Error(`duplicate param ${name}`);
      challenge.params[name.toLowerCase()] = value;
      skip();
      if (rest.length === 0) break;
      if (!rest.startsWith(',')) throw new Error(`expected comma at: ${rest}`);
      rest = rest.slice(1);
      skip();
      if (rest.length === 0) throw new Error('trailing comma');
    }
  }
  return challenges;
}

/** The challenge of `scheme` (case-insensitive), or undefined. */
export function findChallenge(header: string | undefined, scheme: string): Challenge | undefined {
  return parseChallenges(header).find((challenge) => challenge.scheme.toLowerCase() === scheme.toLowerCase());
}
