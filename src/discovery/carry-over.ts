/**
 * The master's customisations that new control-plane nodes need besides their manifests: every host path the
 * master's static pods depend on (manifests/host-paths.ts), kubeadm's own left out. Files under /etc/kubernetes or
 * a directory the config allows (carryOver.allowPaths) are carried over byte for byte with owner and mode (the
 * promote/carry-over step); any other path must already be on every node to promote, identical, or preflight
 * refuses (CarriedFiles) naming the file, the manifest and flag that need it, and the fix.
 *
 * Reads only. A secret file's bytes never leave the master here (its sha256 is computed there); a public one's
 * text is kept so the plan can show it as a diff.
 */
import { posix } from 'node:path';
import type { RemoteHost } from '../engine/model/remote-host.js';
import { hostPathRefs, PUBLIC_FLAGS, underAllowed, type HostPathRef } from '../manifests/host-paths.js';

export interface CarriedFile {
  path: string;
  sha256: string;
  mode: number;
  uid: number;
  gid: number;
  /** Secret (an encryption config, a key, a token or webhook kubeconfig, anything not known to be public): copied host to host, never shown. */
  sensitive: boolean;
  /** A public file's text (the plan shows it as a diff and writes it as a literal); absent for secrets and non-text. */
  text?: string;
  /** e.g. "kube-apiserver.yaml --audit-policy-file", "kube-apiserver.yaml volume audit (hostPath, type File)". */
  neededBy: string[];
}

export interface CarryProblem {
  path: string;
  neededBy: string[];
  problem: string;
  fix: string;
}

export const DEFAULT_CARRY_DIR = '/etc/kubernetes';
const MAX_FILES_PER_DIRECTORY = 200;
const MAX_TEXT_BYTES = 256 * 1024;

interface PathStat {
  type: 'file' | 'directory' | 'other' | 'absent';
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

async function statOn(h: RemoteHost, path: string): Promise<PathStat> {
  const r = await h.exec(['sh', '-c', '[ -e "$1" ] || { echo absent; exit 0; }; stat -L -c "%F|%a|%u|%g|%s" -- "$1"', 'ha-wizard-stat', path], { timeoutMs: 30_000 });
  const out = r.stdout.trim();
  if (r.code !== 0 || out === 'absent' || !out) return { type: 'absent', mode: 0, uid: 0, gid: 0, size: 0 };
  const [kind, mode, uid, gid, size] = out.split('|');
  return {
    type: kind === 'regular file' || kind === 'regular empty file' ? 'file' : kind === 'directory' ? 'directory' : 'other',
    mode: parseInt(mode ?? '0', 8),
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
  };
}

async function filesUnder(h: RemoteHost, dir: string): Promise<string[]> {
  const r = await h.exec(['find', dir, '-xdev', '-maxdepth', '4', '-type', 'f', '-print'], { timeoutMs: 30_000 });
  return r.stdout.split('\n').filter((l) => l.startsWith('/')).sort().slice(0, MAX_FILES_PER_DIRECTORY);
}

const label = (r: HostPathRef) => `${r.component}.yaml ${r.via}`;

function isPublic(path: string, refs: readonly HostPathRef[]): boolean {
  if (/\.key$|token|secret|password|encryption/i.test(path)) return false;
  const flags = refs.filter((r) => r.flag).map((r) => r.flag!);
  return flags.length > 0 ? flags.every((f) => PUBLIC_FLAGS.has(f)) : path.endsWith('.crt');
}

/**
 * The files to carry and the paths ha-wizard will not carry that the nodes to promote lack. `manifests` are the
 * master's, by component; `targets` the nodes that will run them.
 */
export async function discoverCarriedFiles(
  master: RemoteHost,
  targets: readonly RemoteHost[],
  manifests: Record<string, string>,
  allowPaths: readonly string[],
): Promise<{ files: CarriedFile[]; problems: CarryProblem[] }> {
  const allowed = [DEFAULT_CARRY_DIR, ...allowPaths];
  const refs = Object.entries(manifests).flatMap(([component, text]) => {
    try {
      return hostPathRefs(text, component);
    } catch {
      return [];
    }
  });
  const byPath = new Map<string, HostPathRef[]>();
  for (const r of refs) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const files = new Map<string, CarriedFile>();
  const problems: CarryProblem[] = [];
  const fixFor = (path: string, what: string) =>
    `${what}, or let ha-wizard copy it: add its directory to carryOver.allowPaths in the config (carryOver: { allowPaths: [${posix.dirname(path)}] })`;

  const carry = async (path: string, st: PathStat, via: HostPathRef[]) => {
    const neededBy = via.map(label);
    const known = files.get(path);
    if (known) {
      known.neededBy = [...new Set([...known.neededBy, ...neededBy])];
      return;
    }
    const sha256 = await master.sha256(path);
    if (sha256 === null) return;
    const sensitive = !isPublic(path, via);
    const file: CarriedFile = { path, sha256, mode: st.mode, uid: st.uid, gid: st.gid, sensitive, neededBy };
    if (!sensitive && st.size <= MAX_TEXT_BYTES) {
      const bytes = await master.readFile(path);
      const text = bytes.toString('utf8');
      if (Buffer.from(text, 'utf8').equals(bytes) && !/PRIVATE KEY/.test(text)) file.text = text;
    }
    files.set(path, file);
  };

  /** A path ha-wizard does not copy: every target must have it already (a file identical to the master's). */
  const mustBeThere = async (path: string, st: PathStat, via: HostPathRef[]) => {
    const masterSha = st.type === 'file' ? await master.sha256(path) : null;
    for (const t of targets) {
      const there = await statOn(t, path);
      const same = st.type === 'directory' ? there.type === 'directory' : there.type === 'file' && (await t.sha256(path)) === masterSha;
      if (same) continue;
      problems.push({
        path,
        neededBy: via.map(label),
        problem: `${path} on ${master.name} is needed by ${via.map(label).join(', ')}, and ${t.name} ${there.type === 'absent' ? 'does not have it' : st.type === 'file' ? 'has a different one' : 'has no such directory'}; ha-wizard copies only files under ${allowed.join(', ')}`,
        fix: fixFor(path, st.type === 'directory' ? `create ${path} on ${t.name} as on ${master.name}` : `copy it to ${t.name} yourself (same bytes, owner and mode)`),
      });
    }
  };

  for (const [path, via] of byPath) {
    const inputs = via.filter((r) => !r.output);
    if (!inputs.length) {
      // Only written to (logs, data): a directory that must exist (type Directory) must exist on the new nodes too.
      if (via.some((r) => r.volumeType === 'Directory')) {
        const st = await statOn(master, path);
        if (st.type === 'directory') await mustBeThere(path, st, via);
      }
      continue;
    }
    const st = await statOn(master, path);
    if (st.type === 'absent' || st.type === 'other') continue;
    if (st.type === 'directory') {
      const under = await filesUnder(master, path);
      if (!underAllowed(path, allowed)) {
        await mustBeThere(path, st, via);
        continue;
      }
      for (const f of under) {
        const fst = await statOn(master, f);
        if (fst.type === 'file') await carry(f, fst, [...via, ...(byPath.get(f) ?? [])]);
      }
      continue;
    }
    if (underAllowed(path, allowed)) await carry(path, st, via);
    else await mustBeThere(path, st, via);
  }
  return { files: [...files.values()].sort((a, b) => a.path.localeCompare(b.path)), problems };
}

/** "What else comes along": the carried-over customisations as lines for the plan, in one place. */
export function carriedOverLines(files: readonly CarriedFile[], master: string, targets: readonly string[]): string[] {
  if (!files.length) return [];
  return [
    `Customisations carried over from ${master} to ${targets.join(', ')} (files the control-plane manifests name, copied byte for byte with owner and mode):`,
    ...files.map((f) => `  ${f.path}  0${f.mode.toString(8)} ${f.uid}:${f.gid}${f.sensitive ? '  (sensitive: copied host to host, never shown)' : ''}  needed by ${f.neededBy.join(', ')}`),
  ];
}
