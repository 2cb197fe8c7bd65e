/**
 * Why a discovered `issuer` that is not the configured one looks like a typo: the commonest
 * start-up mistakes differ only by a trailing slash, the scheme, or a loopback host alias
 * (`localhost`, `127.0.0.1`, `[::1]`). The verdict stays exact (RFC 8414 §3.3: the metadata must
 * name exactly the issuer asked about); this only says what to change.
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A sentence naming the one difference between `discovered` and `configured`, or `undefined` when they differ more. */
export function describeIssuerMismatch(discovered: unknown, configured: string): string | undefined {
  if (typeof discovered !== 'string') return undefined;
  if (discovered.replace(/\/+$/, '') === configured.replace(/\/+$/, '')) return 'they differ only by a trailing slash';
  let a: URL;
  let b: URL;
  try {
    a = new URL(discovered);
    b = new URL(configured);
  } catch {
    return undefined;
  }
  const rest = (url: URL, host: string, protocol: string) => `${protocol}//${host}:${url.port}${url.pathname.replace(/\/+$/, '')}${url.search}`;
  if (rest(a, a.hostname, 'x:') === rest(b, b.hostname, 'x:')) return 'they differ only by the scheme';
  if (LOOPBACK.has(a.hostname) && LOOPBACK.has(b.hostname) && rest(a, '', a.protocol) === rest(b, '', b.protocol)) {
    return `they differ only by the host (${a.hostname} and ${b.hostname} are the same machine, not the same issuer)`;
  }
  return undefined;
}
