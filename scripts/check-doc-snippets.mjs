#!/usr/bin/env node
// Type-checks every ```ts block of README.md, docs/*.md and packages/*/README.md against the
// workspace packages (built first: `npm run test:docs`), with strict settings, so examples cannot
// drift from the API. Each block is a module of its own and must be complete: imports included,
// no undeclared names. Errors are reported at their Markdown file and line.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
// Inside the workspace so that `@resource-guard/*`, express and koa resolve as they do for users.
const out = path.join(root, 'node_modules', '.cache', 'doc-snippets');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const sources = [
  'README.md',
  ...fs.readdirSync(path.join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`),
  ...fs.readdirSync(path.join(root, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((file) => fs.existsSync(path.join(root, file))),
];

const snippets = new Map();
for (const source of sources) {
  const lines = fs.readFileSync(path.join(root, source), 'utf8').split('\n');
  let start;
  for (const [index, line] of lines.entries()) {
    if (start === undefined && line.trim() === '```ts') {
      start = index + 1;
    } else if (start !== undefined && line.trim() === '```') {
      const file = `${source.replace(/[/.]/g, '_')}_${start + 1}.ts`;
      fs.writeFileSync(path.join(out, file), `${lines.slice(start, index).join('\n')}\nexport {};\n`);
      snippets.set(file, { source, firstLine: start + 1 });
      start = undefined;
    }
  }
}

fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'module', private: true }));
fs.writeFileSync(path.join(out, 'tsconfig.json'), JSON.stringify({
  compilerOptions: {
    strict: true, noUncheckedIndexedAccess: true, target: 'ES2022', lib: ['ES2023'], module: 'nodenext',
    moduleResolution: 'nodenext', types: ['node'], noEmit: true, skipLibCheck: true, verbatimModuleSyntax: true,
  },
  files: [...snippets.keys()],
}, null, 2));

try {
  await promisify(execFile)(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', out], { cwd: out });
  console.log(`ok   ${snippets.size} TypeScript blocks in ${sources.length} Markdown files type-check`);
} catch (error) {
  const report = String(error.stdout ?? error).replace(/^(\S+\.ts)\((\d+),(\d+)\)/gm, (match, file, line, column) => {
    const snippet = snippets.get(file);
    return snippet === undefined ? match : `${snippet.source}:${snippet.firstLine + Number(line) - 1}:${column}`;
  });
  console.error(report);
  process.exitCode = 1;
}
