/** Renders flow results as the demo's plain-text table. */
import { describeAuth, describeExpected } from './observe.js';
import type { FlowResult } from './run.js';

const color = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
const paint = (code: number, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
/** Green. */
export const green = (s: string): string => paint(32, s);
/** Red. */
export const red = (s: string): string => paint(31, s);
/** Dim grey. */
export const dim = (s: string): string => paint(2, s);
/** Bold. */
export const bold = (s: string): string => paint(1, s);

/**
 * Columns: flow, framework, expected, got, pass, and a last column with what the flow did or,
 * for successes, the user context the API saw (subject, client, scopes, format/scheme, binding).
 */
export function renderTable(results: readonly FlowResult[]): string {
  const rows = results.map((r) => {
    const detail = !r.verdict.pass
      ? r.verdict.problems.join('; ')
      : r.observation?.auth !== undefined
        ? describeAuth(r.observation.auth)
        : (r.observation?.note ?? '');
    return { cells: [r.flow.title, r.api.framework, describeExpected(r.flow.expected), r.verdict.got, r.verdict.pass ? 'pass' : 'FAIL'], detail, pass: r.verdict.pass };
  });
  const header = ['flow', 'framework', 'expected', 'got', 'pass'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row.cells[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [bold(`${line(header)}  details`), dim('-'.repeat(widths.reduce((a, b) => a + b + 2, 0) + 7))];
  let previous: string | undefined;
  for (const [index, row] of rows.entries()) {
    const title = results[index]!.flow.title;
    const cells = [title === previous ? '' : title, ...row.cells.slice(1)];
    previous = title;
    const text = line(cells);
    const pass = row.pass ? green('pass') : red('FAIL');
    out.push(`${text.slice(0, text.length - widths[4]!)}${pass}${' '.repeat(widths[4]! - 4)}  ${row.pass ? dim(row.detail) : red(row.detail)}`);
  }
  return out.join('\n');
}
