import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';

// Links between the user documents must resolve: the README, the guides in docs/, the package
// READMEs (whose links are absolute, for the registry's page) and CONTRIBUTING.md. Content moves
// between these files; a link to a page or heading that is gone fails here.

const root = path.resolve(import.meta.dirname, '..');
const REPOSITORY_FILES = 'https://github.com/resource-guard/resource-guard/blob/main/';
const REPOSITORY_TREE = 'https://github.com/resource-guard/resource-guard/tree/main/';

const documents = [
  'README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'bench/README.md', 'bench/HISTORY.md',
  ...fs.readdirSync(path.join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`),
  ...['packages', 'examples'].flatMap((folder) => fs.readdirSync(path.join(root, folder)).map((name) => `${folder}/${name}/README.md`))
    .filter((file) => fs.existsSync(path.join(root, file))),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading) anchors.add(heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

function linksOf(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

test('the documents to check exist', (t) => {
  for (const file of ['examples/demo/README.md', 'docs/errors.md', 'docs/express.md', 'docs/koa.md', 'docs/migration.md', 'docs/security.md']) {
    t.true(documents.includes(file), file);
  }
});

for (const document of documents) {
  test(`links in ${document} resolve`, (t) => {
    const markdown = fs.readFileSync(path.join(root, document), 'utf8');
    let checked = 0;
    for (const link of linksOf(markdown)) {
      let target: string;
      if (link.startsWith(REPOSITORY_FILES)) target = link.slice(REPOSITORY_FILES.length);
      else if (link.startsWith(REPOSITORY_TREE)) target = link.slice(REPOSITORY_TREE.length);
      else if (/^[a-z]+:/i.test(link)) continue; // other sites: not ours to check offline
      else target = path.posix.join(path.posix.dirname(document), link);
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const resolved = file === '' || file === path.posix.dirname(document) + '/' ? document : file;
      t.true(fs.existsSync(path.join(root, resolved)), `${document}: ${link} → ${resolved} does not exist`);
      if (anchor !== undefined && resolved.endsWith('.md') && fs.existsSync(path.join(root, resolved))) {
        t.true(anchorsOf(fs.readFileSync(path.join(root, resolved), 'utf8')).has(anchor), `${document}: ${link} → no heading #${anchor}`);
      }
      checked += 1;
    }
    t.pass(`${checked} links`);
  });
}
