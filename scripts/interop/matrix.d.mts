// Types of matrix.mjs (for the tests, which are TypeScript).

/** One line of a part's matrix. */
export interface InteropRow {
  subject: string;
  flow: string;
  adapter: string;
  expected: string;
  verdict: 'pass' | 'fail' | 'skipped';
  code?: string;
  note?: string;
}

/** What a part script writes to test-output/interop/<part>.json. */
export interface InteropPartResult {
  part: string;
  generatedAt: string;
  versions: Record<string, string>;
  rows: InteropRow[];
  skipped: Array<{ subject: string; install: string }>;
}

export const START: string;
export const END: string;
export function summarize(
  results: readonly InteropPartResult[],
  options?: { ci?: boolean; missingParts?: readonly string[] },
): { passed: number; failures: InteropRow[]; skipped: Array<{ subject: string; install: string }>; exitCode: 0 | 1; writeDoc: boolean };
export function renderDocument(document: string, results: readonly InteropPartResult[]): string;
export function renderPart(result: InteropPartResult): string;
