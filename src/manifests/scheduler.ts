/** kube-scheduler.yaml for a new control-plane node: see controller-manager.ts (same rule). */
import { localComponentManifestFor, type LocalComponentOptions } from './controller-manager.js';

export function schedulerManifestFor(masterManifest: string, o: LocalComponentOptions): string {
  return localComponentManifestFor('kube-scheduler', masterManifest, o);
}
