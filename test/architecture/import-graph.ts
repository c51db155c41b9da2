/**
 * The house rules, as code: which room may import which. ARCHITECTURE.md is the map in words; this is the
 * same map checked. Everything here is pure over a `Graph` (file → its import specifiers), so the test can
 * run the checker on the real repository and on small synthetic graphs that plant each kind of violation.
 *
 * Imports are read from the TypeScript sources (type-only imports included: a type-only circle is still a
 * circle for the reader), with the compiler's own scanner, so comments and strings are never mistaken for imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Repository-relative path (posix separators) → the specifiers it imports, as written. */
export type Graph = Map<string, string[]>;

/**
 * The layers, lowest first. A file may import its own layer and the ones below, never one above. A file
 * belongs to the layer of its longest matching prefix.
 */
export const LAYERS: ReadonlyArray<{ name: string; prefixes: readonly string[] }> = [
  { name: 'model', prefixes: ['src/exit-codes.ts', 'src/engine/model/'] },
  { name: 'libraries', prefixes: ['src/config/', 'src/shell/', 'src/ssh/', 'src/pki/', 'src/kube/', 'src/manifests/', 'src/proxy/', 'src/etcd/'] },
  { name: 'discovery', prefixes: ['src/discovery/', 'src/preflight/'] },
  { name: 'steps/kit', prefixes: ['steps/kit/'] },
  { name: 'steps', prefixes: ['steps/'] },
  { name: 'engine', prefixes: ['src/engine/'] },
  { name: 'reporters', prefixes: ['src/reporters/'] },
  { name: 'conversion', prefixes: ['src/conversion/'] },
  { name: 'wizard', prefixes: ['src/wizard/'] },
  { name: 'ui', prefixes: ['src/ui/'] },
  { name: 'commands', prefixes: ['src/commands/', 'lab/'] },
  { name: 'cli', prefixes: ['src/cli.ts'] },
];

/** Product code: the folders whose imports are checked (tests may import anything but are never imported). */
export const PRODUCT_ROOTS = ['src', 'steps', 'lab'] as const;

/** What a step may read of discovery: its input (the facts, who is who in them, the old-address report drawn from them). */
const STEP_INPUTS = ['src/discovery/facts.ts', 'src/discovery/nodes.ts', 'src/discovery/config-like.ts', 'src/discovery/old-address.ts'];
/** Nothing under steps/ talks to a host, a file or the network: steps return data. */
const STEP_FORBIDDEN_PACKAGES = ['ssh2', 'node:fs', 'node:fs/promises', 'node:net', 'node:tls', 'node:http', 'node:https', 'node:child_process', 'node:dgram'];
const STEP_FORBIDDEN_FILES = ['src/ssh/', 'src/kube/client.ts', 'src/kube/prober.ts', 'src/kube/tls.ts'];
/** The lab is a product feature reached only through its two commands (and the tests). */
const LAB_IMPORTERS = ['src/commands/lab.ts', 'src/commands/demo.ts'];

export interface Edge {
  from: string;
  /** A repository path for relative imports, the specifier as written for packages. */
  to: string;
}

export interface Violation {
  rule: 'upward' | 'test-import' | 'step-to-step' | 'step-reaches-out' | 'lab-import' | 'engine-output' | 'circle';
  from: string;
  to: string;
  why: string;
}

export function layerOf(path: string, layers = LAYERS): number | null {
  let best: { index: number; length: number } | null = null;
  layers.forEach((layer, index) => {
    for (const p of layer.prefixes) {
      const match = p.endsWith('/') ? path.startsWith(p) : path === p;
      if (match && (!best || p.length > best.length)) best = { index, length: p.length };
    }
  });
  return (best as { index: number } | null)?.index ?? null;
}

/** Resolves a relative specifier (`../engine/model/plan.js`) against the files that exist; packages stay as written. */
export function resolve(from: string, spec: string, files: ReadonlySet<string>): string {
  if (!spec.startsWith('.')) return spec;
  const base = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '');
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((c) => files.has(c)) ?? `${base} (unresolved)`;
}

export function edgesOf(graph: Graph): Edge[] {
  const files = new Set(graph.keys());
  return [...graph].flatMap(([from, specs]) => specs.map((spec) => ({ from, to: resolve(from, spec, files) })));
}

function isProduct(path: string): boolean {
  return PRODUCT_ROOTS.some((r) => path.startsWith(`${r}/`));
}

const isStep = (p: string) => p.startsWith('steps/') && !p.startsWith('steps/kit/');

/** Every violation of the house rules in the graph. `sources` (path → text) enables the engine-output rule. */
export function violations(graph: Graph, sources?: ReadonlyMap<string, string>, layers = LAYERS): Violation[] {
  const out: Violation[] = [];
  for (const { from, to } of edgesOf(graph)) {
    if (!isProduct(from)) continue;
    if (to.startsWith('test/')) {
      out.push({ rule: 'test-import', from, to, why: 'product code never imports the tests' });
      continue;
    }
    if (to.startsWith('lab/') && !from.startsWith('lab/') && !LAB_IMPORTERS.includes(from)) {
      out.push({ rule: 'lab-import', from, to, why: `only ${LAB_IMPORTERS.join(' and ')} may import the lab` });
    }
    if (isStep(from)) {
      if (isStep(to) && from !== 'steps/index.ts') out.push({ rule: 'step-to-step', from, to, why: 'a step imports the kit, never another step (shared helpers go to steps/kit/)' });
      if (STEP_FORBIDDEN_PACKAGES.includes(to) || STEP_FORBIDDEN_FILES.some((f) => (f.endsWith('/') ? to.startsWith(f) : to === f))) {
        out.push({ rule: 'step-reaches-out', from, to, why: 'steps return data: no SSH, files or network' });
      }
      if (to.startsWith('src/discovery/') && !STEP_INPUTS.includes(to)) {
        out.push({ rule: 'step-reaches-out', from, to, why: `a step reads the facts (${STEP_INPUTS.join(', ')}); other discovery helpers reach it through steps/kit/` });
      }
    } else if (from.startsWith('steps/kit/') && (STEP_FORBIDDEN_PACKAGES.includes(to) || STEP_FORBIDDEN_FILES.some((f) => (f.endsWith('/') ? to.startsWith(f) : to === f)))) {
      out.push({ rule: 'step-reaches-out', from, to, why: 'the steps\' kit returns data: no SSH, files or network' });
    }
    const a = layerOf(from, layers);
    const b = layerOf(to, layers);
    if (a !== null && b !== null && b > a) {
      out.push({ rule: 'upward', from, to, why: `${layers[a]!.name} (layer ${a}) imports ${layers[b]!.name} (layer ${b})` });
    }
  }
  for (const cycle of circles(graph)) out.push({ rule: 'circle', from: cycle[0]!, to: cycle.slice(1).join(' → '), why: `import circle: ${cycle.join(' → ')}` });
  for (const [path, text] of sources ?? []) {
    if (path.startsWith('src/engine/') && /\bprocess\.(stdout|stderr)\b|\bconsole\.\w+\(/.test(text)) {
      out.push({ rule: 'engine-output', from: path, to: 'stdout/stderr', why: 'the engine prints nothing: it reports through events, the reporters and commands print' });
    }
  }
  return out;
}

/** Import circles among product files (strongly connected components of more than one file), each as a list of files. */
export function circles(graph: Graph): string[][] {
  const files = new Set(graph.keys());
  const next = new Map<string, string[]>();
  for (const [from, specs] of graph) if (isProduct(from)) next.set(from, specs.map((s) => resolve(from, s, files)).filter((t) => files.has(t) && isProduct(t)));
  // Tarjan's algorithm, iterative enough for this size (a few hundred files).
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** The import specifiers of a TypeScript source, as the compiler's scanner sees them (static, dynamic, type-only). */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The repository's TypeScript sources under `roots`, as paths relative to `root`, with their text. */
export function readSources(root: string, roots: readonly string[] = [...PRODUCT_ROOTS, 'test']): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir)).sort()) {
      const rel = dir ? `${dir}/${entry}` : entry;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (/\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) out.set(rel, readFileSync(join(root, rel), 'utf8'));
    }
  };
  for (const r of roots) walk(r);
  return out;
}

export function graphOf(sources: ReadonlyMap<string, string>): Graph {
  return new Map([...sources].map(([path, text]) => [path, importsOf(text)]));
}

/** The repository root, from this file's place in dist/test/architecture/. */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}
