/**
 * The import graph of every package reads top-down: no loop, type-only imports included (public
 * types live in leaf modules such as `packages/core/src/guard-types.ts`). Read with the
 * TypeScript scanner (`preProcessFile`), so `import type` and `export ... from` count too.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Relative imports of each file, resolved to files of the same set (`.js` specifiers name `.ts` sources). */
function importGraph(sources: ReadonlyMap<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of sources) {
    const targets = ts.preProcessFile(text, true, true).importedFiles
      .map(({ fileName }) => fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')))
      .filter((target) => sources.has(target));
    graph.set(file, targets);
  }
  return graph;
}

/** Every strongly connected component with more than one file (or a file importing itself): Tarjan's algorithm. */
function findLoops(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)!.includes(file)) loops.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return loops;
}

function readSources(directory: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = resolve(entry.parentPath, entry.name);
    sources.set(file, readFileSync(file, 'utf8'));
  }
  return sources;
}

test('no package has an import loop, type-only imports included', (t) => {
  const packages = readdirSync('packages');
  t.true(packages.includes('core'));
  for (const name of packages) {
    const sources = readSources(join('packages', name, 'src'));
    const loops = findLoops(importGraph(sources)).map((loop) => loop.map((file) => relative(process.cwd(), file)));
    t.deepEqual(loops, [], `packages/${name}/src`);
  }
});

test('the check finds a type-only loop and a longer one', (t) => {
  const root = resolve('virtual');
  const sources = new Map([
    [join(root, 'a.ts'), "import type { B } from './b.js';\nexport interface A { b: B }"],
    [join(root, 'b.ts'), "export type { A } from './a.js';\nexport interface B { n: number }"],
    [join(root, 'c.ts'), "import { d } from './d.js';\nexport const c = d;"],
    [join(root, 'd.ts'), "import { e } from './e.js';\nexport const d = e;"],
    [join(root, 'e.ts'), "import type { c } from './c.js';\nexport const e = 1;"],
    [join(root, 'leaf.ts'), "import { c } from './c.js';\nexport const leaf = c;"],
  ]);
  t.deepEqual(findLoops(importGraph(sources)).map((loop) => loop.map((file) => relative(root, file))).sort(), [['a.ts', 'b.ts'], ['c.ts', 'd.ts', 'e.ts']]);
});

/**
 * Test infrastructure (the dev authorization server, the Redis launcher) lives in the private
 * `tools/` workspaces, never in an example: a test imports an example only when the example is
 * what it tests, or is the application the test drives. Those files are named here, once; a file
 * that stops importing an example leaves the list (the second assertion), so the list only shrinks.
 */
const EXAMPLE_IMPORTERS = [
  'test/browser/spa.test.ts', // the example SPA and its gateway, in a real browser
  'test/e2e/demo-mcp-flows.test.ts',
  'test/e2e/demo-scale-out.test.ts',
  'test/e2e/dev-tokens.test.ts',
  'test/e2e/exchange-flows.test.ts',
  'test/e2e/flows.test.ts',
  'test/e2e/mcp.test.ts',
  'test/e2e/sample-apps.test.ts',
  'test/fetch/nextjs-route.test.ts',
  'test/gateway/demo-flows.node.test.ts',
  'test/gateway/oauth-agent-http.test.ts',
  'test/helpers/gateway.ts', // the example gateway in front of the example APIs
  'test/mcp/http.test.ts', // the example MCP server on every adapter
];

/** Whether a module imports an example workspace, by package name or by path. */
function importsExample(text: string): boolean {
  return ts.preProcessFile(text, true, true).importedFiles
    .some(({ fileName }) => fileName.startsWith('@resource-guard-examples/') || /^(\.\.\/)+examples\//.test(fileName));
}

test('no test imports an example, but the tests of the examples named once', (t) => {
  const importers = [...readSources('test')]
    .filter(([, text]) => importsExample(text))
    .map(([file]) => relative(process.cwd(), file))
    .sort();
  t.deepEqual(importers.filter((file) => !EXAMPLE_IMPORTERS.includes(file)), [], 'import test infrastructure from tools/, not from examples/');
  t.deepEqual(EXAMPLE_IMPORTERS.filter((file) => !importers.includes(file)), [], 'no longer imports an example: remove it from the list');
});

test('the example check sees package names and relative paths, and nothing else', (t) => {
  t.true(importsExample("import { RESOURCES } from '@resource-guard-examples/dev-authorization-server';"));
  t.true(importsExample("const m = await import('../../examples/nextjs-route-handler/dist/app/orders/route.js');"));
  t.true(importsExample("export type { A } from '../examples/x/src/a.js';"));
  t.false(importsExample("import { startRedisServer } from '@resource-guard-tools/launchers';"));
  t.false(importsExample("import { send } from '../helpers/examples.js';"));
});
