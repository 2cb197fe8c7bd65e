import test from 'ava';
import { END, renderDocument, START, summarize, type InteropPartResult, type InteropRow } from '../../scripts/interop/matrix.mjs';

const row = (overrides: Partial<InteropRow> = {}): InteropRow =>
  ({ subject: 'Glewlwyd', flow: 'client credentials · JWT', adapter: 'express', expected: '200', verdict: 'pass', code: '200', ...overrides });

const part = (overrides: Partial<InteropPartResult> = {}): InteropPartResult => ({
  part: 'servers', generatedAt: '2026-12-07T04:00:00.000Z', versions: { Glewlwyd: '2.7.5' }, rows: [row()], skipped: [], ...overrides,
});

test('a complete run with every row as expected exits 0 and rewrites the page', (t) => {
  t.like(summarize([part()]), { passed: 1, exitCode: 0, writeDoc: true });
});

test('a failed row fails the run, with or without CI', (t) => {
  const results = [part({ rows: [row(), row({ adapter: 'koa', verdict: 'fail', code: 'ERR_TOKEN_AUDIENCE_INVALID' })] })];
  for (const ci of [false, true]) {
    const summary = summarize(results, { ci });
    t.is(summary.exitCode, 1);
    t.deepEqual(summary.failures.map((failure) => failure.adapter), ['koa']);
  }
});

test('a server that is not installed is reported with its install command; it fails the run only under CI, and the page is kept', (t) => {
  const results = [part({ skipped: [{ subject: 'LemonLDAP::NG', install: 'sudo apt-get install -y liblemonldap-ng-portal-perl' }] })];
  t.like(summarize(results), { exitCode: 0, writeDoc: false });
  t.deepEqual(summarize(results).skipped, [{ subject: 'LemonLDAP::NG', install: 'sudo apt-get install -y liblemonldap-ng-portal-perl' }]);
  t.like(summarize(results, { ci: true }), { exitCode: 1, writeDoc: false });
  t.like(summarize([part({ rows: [row({ verdict: 'skipped' })] })], { ci: true }), { exitCode: 1, writeDoc: false });
});

test('a part script that wrote nothing fails the run', (t) => {
  t.like(summarize([part()], { missingParts: ['runtimes'] }), { exitCode: 1, writeDoc: false });
});

test('the generated section is replaced, the hand-written intro kept, and any part renders without knowing it', (t) => {
  const document = `# Interoperability\n\nHand-written intro.\n\n${START}\nold matrix\n${END}\n`;
  const runtimes = part({
    part: 'runtimes', versions: { bun: '1.3.0' },
    rows: [row({ subject: 'Bun', flow: 'DPoP with replay', adapter: 'fetch' }), row({ subject: 'Bun', flow: 'opaque', adapter: 'fetch', verdict: 'fail', code: 'HTTP 500' })],
  });
  const rendered = renderDocument(document, [part({ rows: [row(), row({ adapter: 'koa', verdict: 'fail', code: 'ERR_X|Y' })] }), runtimes]);
  t.true(rendered.startsWith('# Interoperability\n\nHand-written intro.\n\n'));
  t.false(rendered.includes('old matrix'));
  t.true(rendered.includes('## Servers') && rendered.includes('## Runtimes') && rendered.includes('### Bun'));
  t.true(rendered.includes('| client credentials · JWT | `200` | ✓ | ✗ `ERR_X\\|Y` |  |'));
  t.true(rendered.includes('| opaque | `200` | ✗ `HTTP 500` |  |'));
  t.true(rendered.includes('| bun | 1.3.0 |'));
  t.true(rendered.trimEnd().endsWith(END));
});
