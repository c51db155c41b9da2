/**
 * Reading, never changing, what a plan touches: the inputs of the preview and the `observed` hashes
 * that make apply refuse a plan whose files changed after review. I/O at the edge; preview.ts stays pure.
 */
import { sha256 } from '../model/hash.js';
import { fileKey, touchedFiles, type Plan } from '../model/plan.js';
import type { Hosts, KubeApiFactory, KubeObject } from '../model/ports.js';
import { objectKey, type PreviewInputs } from './preview.js';
import { RemoteError } from '../model/remote-host.js';

export async function observe(plan: Plan, hosts: Hosts, kube?: KubeApiFactory): Promise<PreviewInputs> {
  const files = new Map<string, Buffer | null>();
  await Promise.all(
    touchedFiles(plan).map(async ({ host, path }) => {
      const h = await hosts.get(host);
      try {
        files.set(fileKey(host, path), await h.readFile(path));
      } catch (err) {
        if (err instanceof RemoteError && err.code === 'ENOENT') files.set(fileKey(host, path), null);
        else if ((await h.sha256(path)) === null) files.set(fileKey(host, path), null);
        else throw err;
      }
    }),
  );
  const objects = new Map<string, KubeObject | null>();
  for (const a of plan.actions) {
    if (a.type !== 'patch-object') continue;
    const key = objectKey(a.host, a.object);
    if (objects.has(key)) continue;
    if (!kube) throw new Error(`the plan patches ${a.object.kind} ${a.object.name} but no Kubernetes API is available to preview it`);
    const api = await kube.forHost(await hosts.get(a.host));
    objects.set(key, await api.get(a.object));
  }
  return { files, objects };
}

/** sha256 (or null) of every touched file, for `withObserved`. */
export function observedHashes(inputs: PreviewInputs): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [key, buf] of inputs.files) out[key] = buf ? sha256(buf) : null;
  return out;
}
