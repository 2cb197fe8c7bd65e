// The interop matrix, apart from running anything (scripts/interop/run.mjs runs the parts): what a
// set of part results means (verdict, exit status) and how docs/interop.md shows it. Generic over
// parts: a part is rendered from its own rows, whatever its subjects, flows and adapters.

/** Marks the generated section of docs/interop.md; the intro above it is written by hand. */
export const START = '<!-- interop:generated:start (scripts/interop/run.mjs writes what follows) -->';
export const END = '<!-- interop:generated:end -->';

/**
 * What the results add up to: the failed rows, the skipped subjects (not installed, or rows a part
 * marked skipped), the exit status (1 on a failure or a part that wrote nothing; with `ci` also
 * on anything skipped) and whether docs/interop.md may be rewritten (only by a complete run).
 */
export function summarize(results, { ci = false, missingParts = [] } = {}) {
  const rows = results.flatMap((result) => result.rows);
  const failures = rows.filter((row) => row.verdict === 'fail');
  const skipped = [
    ...results.flatMap((result) => result.skipped),
    ...rows.filter((row) => row.verdict === 'skipped').map((row) => ({ subject: row.subject, install: row.note ?? '' })),
  ];
  const failed = failures.length > 0 || missingParts.length > 0 || (ci && skipped.length > 0);
  return {
    passed: rows.filter((row) => row.verdict === 'pass').length,
    failures,
    skipped,
    exitCode: failed ? 1 : 0,
    writeDoc: results.length > 0 && skipped.length === 0 && missingParts.length === 0,
  };
}

/** `document` (docs/interop.md as it is) with its generated section replaced by `results`. */
export function renderDocument(document, results) {
  const head = document.includes(START) ? document.slice(0, document.indexOf(START)) : `${document.trimEnd()}\n\n`;
  const tail = document.includes(END) ? document.slice(document.indexOf(END) + END.length) : '\n';
  return `${head}${START}\n${results.map(renderPart).join('\n')}${END}${tail}`;
}

function cell(text) {
  return String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** One part: its versions, then per subject a flow × adapter table (✓, or ✗ with the code answered). */
export function renderPart(result) {
  const title = result.part.charAt(0).toUpperCase() + result.part.slice(1);
  const lines = [`## ${title}`, '', `Run ${result.generatedAt.slice(0, 10)} (${result.generatedAt}). Versions:`, ''];
  lines.push('| component | version |', '|---|---|');
  for (const [name, version] of Object.entries(result.versions).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`| ${cell(name)} | ${cell(version)} |`);
  }
  lines.push('');
  for (const subject of new Set(result.rows.map((row) => row.subject))) {
    const mine = result.rows.filter((row) => row.subject === subject);
    const adapters = [...new Set(mine.map((row) => row.adapter))];
    lines.push(`### ${subject}`, '', `| flow | expected | ${adapters.map(cell).join(' | ')} | note |`, `|---|---|${adapters.map(() => '---|').join('')}---|`);
    for (const flow of new Set(mine.map((row) => row.flow))) {
      const of = mine.filter((row) => row.flow === flow);
      const cells = adapters.map((adapter) => {
        const row = of.find((candidate) => candidate.adapter === adapter);
        if (row === undefined) return '–';
        if (row.verdict === 'pass') return '✓';
        if (row.verdict === 'skipped') return 'skipped';
        return `✗ \`${cell(row.code ?? 'nothing')}\``;
      });
      lines.push(`| ${cell(flow)} | \`${cell(of[0].expected)}\` | ${cells.join(' | ')} | ${cell(of.find((row) => row.note)?.note ?? '')} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
