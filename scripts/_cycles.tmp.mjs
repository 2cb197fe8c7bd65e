import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
const root = resolve(process.argv[2]);
const files = [];
(function walk(d){ for (const n of readdirSync(d)) { const p = join(d,n); if (statSync(p).isDirectory()) walk(p); else if (p.endsWith('.ts')) files.push(p);} })(root);
const graph = new Map();
for (const f of files) {
  const info = ts.preProcessFile(readFileSync(f,'utf8'), true, true);
  graph.set(f, info.importedFiles.map(i=>i.fileName).filter(s=>s.startsWith('.')).map(s=>resolve(dirname(f), s.replace(/\.js$/,'.ts'))).filter(x=>graph.has(x)||files.includes(x)));
}
// Tarjan
let idx=0; const st=[]; const on=new Set(); const I=new Map(), L=new Map(); const sccs=[];
function sc(v){ I.set(v,idx); L.set(v,idx); idx++; st.push(v); on.add(v);
 for (const w of graph.get(v)) { if(!I.has(w)){sc(w); L.set(v,Math.min(L.get(v),L.get(w)));} else if(on.has(w)) L.set(v,Math.min(L.get(v),I.get(w))); }
 if (L.get(v)===I.get(v)) { const c=[]; let w; do { w=st.pop(); on.delete(w); c.push(w);} while(w!==v); if (c.length>1 || graph.get(v).includes(v)) sccs.push(c);} }
for (const f of files) if(!I.has(f)) sc(f);
for (const c of sccs) console.log(c.length, c.map(x=>x.slice(root.length+1)).sort().join(' '));
