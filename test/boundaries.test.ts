/**
 * The layering rule, checked over the import graph of src/ and web/src (every static,
 * dynamic and type-only import; the TypeScript parser reads them, nothing is run):
 *
 * - a file in one top-level folder of src/ reaches another folder only through that
 *   folder's index.ts (its subfolders too: src/query/metrics is reached as src/query);
 *   src/shared (types, the wire reader, ids, errors: no state) is imported file by file;
 *   the single files at the top of src/ (config.ts, server.ts, …) are modules of their own;
 * - web/src reaches into src/ only through src/analysis/index.ts and src/traceql/index.ts
 *   (both pure: no Node imports), and nothing in src/ imports web/;
 * - no cycles: neither among files nor among the top-level folders (each top-level file
 *   counting as one), so every stage only looks down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');
const WEB_MAY_IMPORT = new Set(['src/analysis/index.ts', 'src/traceql/index.ts']);
const IMPORTED_DIRECTLY = new Set(['src/shared']);

interface Import {
  readonly from: string;
  readonly to: string;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Every relative specifier a file imports, resolved to a path from the repository root. */
function importsOf(file: string): Import[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: Import[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node === undefined || !ts.isStringLiteral(node) || !node.text.startsWith('.')) return;
    out.push({ from: file, to: path.posix.normalize(path.posix.join(path.posix.dirname(file), node.text)) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The unit the folder rule speaks of: `src/<folder>`, a top-level file such as `src/server.ts`, or `web`. */
function unitOf(file: string): string {
  if (file.startsWith('web/')) return 'web';
  const m = /^src\/([^/]+)\//.exec(file);
  return m === null ? file : `src/${m[1]}`;
}

function violations(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const { from, to } of imports) {
    const a = unitOf(from);
    const b = unitOf(to);
    if (a === b || !to.startsWith('src/')) continue;
    if (a === 'web') {
      if (!WEB_MAY_IMPORT.has(to)) out.push(`${from} imports ${to}: the viewer reaches src/ only through ${[...WEB_MAY_IMPORT].join(' or ')}`);
    } else if (b === 'web') {
      out.push(`${from} imports ${to}: src/ does not import the viewer's source`);
    } else if (b.endsWith('.ts') || IMPORTED_DIRECTLY.has(b)) {
      continue;
    } else if (to !== `${b}/index.ts`) {
      out.push(`${from} imports ${to}: reach ${b} through ${b}/index.ts`);
    }
  }
  return out;
}

/** Strongly connected components of more than one node (Tarjan), each as a readable loop. */
function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) out.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) connect(v);
  return out;
}

function graph(imports: readonly Import[], node: (file: string) => string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const a = node(from);
    const b = node(to);
    if (a === b) continue;
    let set = edges.get(a);
    if (set === undefined) edges.set(a, (set = new Set()));
    set.add(b);
  }
  return edges;
}

const files = [...sources('src'), ...sources('web/src')];
const imports = files.flatMap(importsOf);

test('every import resolves to a file in the tree', () => {
  const known = new Set(files);
  const missing = imports.filter((i) => /\.tsx?$/.test(i.to) && !known.has(i.to));
  assert.deepEqual(missing.map((i) => `${i.from} imports ${i.to}`), []);
});

test('folders are reached only through their index.ts', () => {
  assert.deepEqual(violations(imports), []);
});

test('no import cycles among files', () => {
  assert.deepEqual(cycles(graph(imports, (f) => f)).map((c) => c.join(' ↔ ')), []);
});

test('no import cycles among top-level folders', () => {
  assert.deepEqual(cycles(graph(imports, unitOf)).map((c) => c.join(' ↔ ')), []);
});

test('the check sees a crossing and a cycle when there is one', () => {
  const bad: Import[] = [
    { from: 'src/api/a.ts', to: 'src/store/write.ts' },
    { from: 'web/src/x.ts', to: 'src/analysis/trace.ts' },
    { from: 'src/query/metrics/a.ts', to: 'src/query/search.ts' },
    { from: 'src/api/a.ts', to: 'src/shared/ids.ts' },
  ];
  assert.equal(violations(bad).length, 2);
  const loop: Import[] = [
    { from: 'src/api/index.ts', to: 'src/mcp/index.ts' },
    { from: 'src/mcp/a.ts', to: 'src/api/index.ts' },
  ];
  assert.deepEqual(cycles(graph(loop, unitOf)), [['src/api', 'src/mcp']]);
});
