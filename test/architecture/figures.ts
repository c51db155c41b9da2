/**
 * `node dist/test/architecture/figures.js`: the house in numbers, for before/after comparisons of a
 * restructuring: folders, rooms and the arrows between them, imports that run upward, circles, largest files.
 * Files that have since moved are placed by the role they had (LEGACY below), so older trees count the same way.
 */
import { edgesOf, circles, graphOf, layerOf, LAYERS, readSources, repoRoot, violations } from './import-graph.js';

/** Where files of earlier layouts belong: the engine's model files, the pipeline and the CLI prompt at src/. */
const LEGACY: Record<string, string[]> = {
  model: ['src/engine/actions.ts', 'src/engine/step.ts', 'src/engine/plan.ts', 'src/engine/plan-schema.ts', 'src/engine/ports.ts', 'src/engine/events.ts', 'src/engine/secrets.ts'],
  conversion: ['src/conversion.ts'],
  commands: ['src/prompt.ts'],
};
const layers = LAYERS.map((l) => ({ name: l.name, prefixes: [...l.prefixes, ...(LEGACY[l.name] ?? [])] }));

const root = process.argv[2] ?? repoRoot();
const sources = readSources(root, ['src', 'steps', 'lab']);
const graph = graphOf(sources);
const product = [...sources.keys()];

const folders = new Set(product.map((p) => p.slice(0, p.lastIndexOf('/'))));
const room = (p: string) => {
  const parts = p.split('/');
  if (parts[0] !== 'src') return parts[0]!;
  return parts.length === 2 ? p : `${parts[0]}/${parts[1]}`;
};
const rooms = new Set(product.map(room));
const arrows = new Set<string>();
for (const e of edgesOf(graph)) if (sources.has(e.to) && room(e.from) !== room(e.to)) arrows.add(`${room(e.from)} -> ${room(e.to)}`);
const upward = edgesOf(graph).filter((e) => {
  const a = layerOf(e.from, layers);
  const b = layerOf(e.to, layers);
  return a !== null && b !== null && b > a;
});
const found = circles(graph);
const lines = product.map((p) => ({ p, n: sources.get(p)!.split('\n').length - (sources.get(p)!.endsWith('\n') ? 1 : 0) })).sort((a, b) => b.n - a.n);
const total = lines.reduce((n, l) => n + l.n, 0);

const out = [
  `product files: ${product.length} (${total} lines) in ${folders.size} folders`,
  `rooms (top-level folders and files of src/, steps, lab): ${rooms.size}; arrows between rooms: ${arrows.size}`,
  `imports running upward (lower layer → higher): ${upward.length}`,
  ...upward.map((e) => `  ${e.from} → ${e.to}`),
  `circles: ${found.length}`,
  ...found.map((c) => `  ${c.join(' ↔ ')}`),
  `house-rule violations (current rules): ${violations(graph, sources).length}`,
  'largest files:',
  ...lines.slice(0, 6).map((l) => `  ${String(l.n).padStart(4)} ${l.p}`),
];
process.stdout.write(`${out.join('\n')}\n`);
