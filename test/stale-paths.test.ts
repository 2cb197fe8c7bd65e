/**
 * A repository path named in a document or a source comment exists. Checked: README.md,
 * ARCHITECTURE.md, CONTRIBUTING.md, docs/, the READMEs of the packages, examples and tools, and the
 * comments of every TypeScript file under packages/, examples/, tools/, bench/ and test/. A name counts when it
 * ends in a file extension (`pipeline/extract.ts`, `bench/README.md`) or is a directory in
 * backticks (`test/helpers/`); it may be written from anywhere up the tree (ARCHITECTURE.md says
 * `jwt/verify-access-token.ts` for `packages/core/src/jwt/...`), and a `dist/*.js` name stands
 * for its `src/*.ts`. A bare file name in a comment must exist in the same package or at the
 * root: a comment that says `nonce.ts` means a sibling, not some file of that name elsewhere.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const SKIPPED = new Set(['node_modules', 'dist', '.git', 'coverage', 'api', 'results', '.ab', 'test-output']);
// Written by a command (`npm run bench`, `npm run docs`, `npm run interop`), not kept in the repository.
const GENERATED = ['bench/results/', 'docs/api/', 'test-output/'];

function listTree(): string[] {
  const entries: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of fs.readdirSync(path.join(root, directory), { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const name = directory === '' ? entry.name : `${directory}/${entry.name}`;
      if (entry.isDirectory()) {
        entries.push(`${name}/`);
        walk(name);
      } else {
        entries.push(name);
      }
    }
  };
  walk('');
  return entries;
}

const tree = listTree();
const FILE_NAME = /(?<![\w@/.:$-])((?:\.{1,2}\/)?(?:[\w-][\w.-]*\/)*[\w-][\w.-]*\.(?:ts|js|mjs|cjs|md|json|ya?ml|sh))(?![\w/-])/g;
const DIRECTORY_NAME = /`((?:\.{1,2}\/)?(?:[\w-][\w.-]*\/)+)`/g;

/** The names of repository paths in `text`; words such as Node.js or `res.json` are not paths. */
function namedPaths(text: string): string[] {
  const withoutUrls = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '');
  return [...withoutUrls.matchAll(FILE_NAME), ...withoutUrls.matchAll(DIRECTORY_NAME)]
    .map((match) => match[1]!)
    .filter((name) => name.includes('/') ? !name.startsWith('application/') : !/\.(js|json)$/.test(name));
}

/** Whether `name`, named in `file`, is a path of the repository. */
function exists(name: string, file: string): boolean {
  const bare = name.replace(/^(\.\.?\/)+/, '');
  if (GENERATED.some((prefix) => bare.startsWith(prefix))) return true;
  const candidates = [bare, bare.replace(/\.js$/, '.ts'), bare.replace(/(^|\/)dist\//, '$1src/').replace(/\.js$/, '.ts')];
  // A bare name in a comment: the same package (packages/x/, examples/x/, tools/x/, bench/, test/) or the root.
  const scope = !bare.includes('/') && file.endsWith('.ts') ? file.split('/').slice(0, /^(packages|examples|tools)\//.test(file) ? 2 : 1).join('/') + '/' : '';
  return candidates.some((candidate) => tree.some((entry) => (
    entry === candidate || (entry.endsWith(`/${candidate}`) && (scope === '' || entry.startsWith(scope)))
  )));
}

function commentsOf(source: string): string {
  return [...source.matchAll(/\/\/.*$|\/\*[\s\S]*?\*\//gm)].map((match) => match[0]).join('\n');
}

const documents = tree.filter((name) => /^(README|ARCHITECTURE|CONTRIBUTING)\.md$|^docs\/[^/]+\.md$|^(examples|packages|tools)\/[^/]+\/README\.md$/.test(name));
const sources = tree.filter((name) => /^(packages|examples|tools)\/[^/]+\/src\/.*\.ts$|^bench\/src\/.*\.ts$|^test\/.*\.ts$/.test(name) && name !== 'test/stale-paths.test.ts');

test('the files to check are found', (t) => {
  for (const file of ['ARCHITECTURE.md', 'CONTRIBUTING.md', 'docs/errors.md', 'packages/core/README.md', 'packages/core/src/pipeline/pipeline.ts']) {
    t.true(documents.includes(file) || sources.includes(file), file);
  }
});

test('every repository path named in a document or a comment exists', (t) => {
  const missing: string[] = [];
  for (const file of [...documents, ...sources]) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const name of namedPaths(file.endsWith('.ts') ? commentsOf(text) : text)) {
      if (!exists(name, file)) missing.push(`${file}: ${name}`);
    }
  }
  t.deepEqual(missing, []);
});

test('the check reads paths, not words', (t) => {
  t.deepEqual(namedPaths('see `pipeline/extract.ts`, DESIGN.md, `test/helpers/` and bench/dist/run.js; Node.js, res.json(), `application/jwt`, https://x.test/a.md'),
    ['pipeline/extract.ts', 'DESIGN.md', 'bench/dist/run.js', 'test/helpers/']);
  t.false(exists('DESIGN.md', 'packages/core/src/pipeline/pipeline.ts'));
  t.false(exists('dpop.ts', 'packages/core/src/dpop/proof.ts'), 'a bare name means the same package');
  t.true(exists('nonce.ts', 'packages/core/src/dpop/proof.ts'));
  t.true(exists('jwt/verify-access-token.ts', 'ARCHITECTURE.md'));
  t.true(exists('bench/dist/run.js', 'bench/README.md'));
});
