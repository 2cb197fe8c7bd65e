/**
 * The short metrics summary printed after the flows: the Express API runs with OpenTelemetry and
 * the Prometheus exporter (`examples/express-api/src/otel.ts`), and this reads its `/metrics` page
 * and adds up the guard's series (names: docs/observability.md).
 */

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format's sample lines (comments and blank lines skipped). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-z_][a-z0-9_]*)="((?:[^"\\]|\\.)*)"/gi)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sums `name`'s samples per the values of `by` (label names), largest first. */
function sumBy(samples: readonly Sample[], name: string, by: readonly string[]): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const sample of samples) {
    if (sample.name !== name) continue;
    const key = by.map((label) => sample.labels[label]).filter((value) => value !== undefined).join(' ');
    totals.set(key, (totals.get(key) ?? 0) + sample.value);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const ROWS: ReadonlyArray<[string, string, readonly string[]]> = [
  ['authentications', 'resource_guard_authentication_authenticate_duration_count', ['resource_guard_authentication_result', 'error_type']],
  ['route requirements', 'resource_guard_authorization_attempts_total', ['resource_guard_requirement_kind', 'resource_guard_authorization_result']],
  ['calls to the AS', 'resource_guard_upstream_request_duration_count', ['resource_guard_upstream_operation', 'resource_guard_upstream_outcome']],
  ['cache lookups', 'resource_guard_cache_lookups_total', ['resource_guard_cache_name', 'resource_guard_cache_result']],
  ['DPoP refusals', 'resource_guard_dpop_rejections_total', ['resource_guard_dpop_rejection_reason']],
  ['JWKS refetches', 'resource_guard_jwks_refetches_total', ['resource_guard_jwks_refetch_result']],
  ['store errors', 'resource_guard_store_errors_total', ['resource_guard_store_purpose', 'resource_guard_store_operation']],
];

/** Reads `metricsUrl` and renders one line per kind of series, e.g. `authentications: success 12 · failure ERR_TOKEN_EXPIRED 2`. */
export async function renderMetricsSummary(metricsUrl: string): Promise<string> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`${metricsUrl} answered ${response.status}`);
  const samples = parseSamples(await response.text());
  return ROWS.map(([title, name, by]) => {
    const totals = sumBy(samples, name, by);
    return `  ${title.padEnd(19)} ${totals.length === 0 ? '—' : totals.map(([key, value]) => `${key} ${value}`).join(' · ')}`;
  }).join('\n');
}
