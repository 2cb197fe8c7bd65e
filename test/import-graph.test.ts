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
