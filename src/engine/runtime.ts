/**
 * Builds the engine's deps for `resume` and `rollback` from what the session saved: the plan and the
 * cluster config (`config.yaml`). Each dep comes from its owner's module, loaded only when needed;
 * a module that is missing (or lacks its factory) fails with a message naming what is missing rather
 * than a stack trace.
 *
 * Factories expected from the other modules:
 *   src/config/load.ts   parseConfigText(text, fileName) → { config }
 *   src/ssh/runtime.ts   createHosts(config) → Hosts          (the transport owner fills this in)
 *   src/pki/materializer.ts  class PkiMaterializer            (Materializer)
 *   src/kube/client.ts   class TunnelKubeApiFactory            (KubeApiFactory)
 *   src/kube/prober.ts   class HttpsProber                     (Prober)
 */
import { readFileSync } from 'node:fs';
import type { EngineDeps } from './context.js';
import type { Hosts, KubeApiFactory, Materializer, Prober } from './ports.js';
import type { Session } from './session.js';

export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

async function load<T>(specifier: string, exportName: string, what: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new RuntimeUnavailableError(`${what} is not available: cannot load ${specifier.replace('../', 'src/').replace(/\.js$/, '.ts')} (${(err as Error).message})`);
  }
  const value = mod[exportName];
  if (value === undefined) throw new RuntimeUnavailableError(`${what} is not available: ${specifier.replace('../', 'src/').replace(/\.js$/, '.ts')} has no export ${exportName}`);
  return value as T;
}

/** The deps for a session, from its saved config. */
export async function createDeps(session: Session): Promise<EngineDeps> {
  if (!session.configPath) {
    throw new RuntimeUnavailableError(`session ${session.id} has no saved config.yaml, so its hosts cannot be reached; it was made by a test or an older version`);
  }
  const text = readFileSync(session.configPath, 'utf8');
  const parseConfigText = await load<(t: string, f: string) => { config: unknown }>('../config/load.js', 'parseConfigText', 'the config loader');
  const { config } = parseConfigText(text, session.configPath);
  const createHosts = await load<(config: unknown) => Hosts | Promise<Hosts>>('../ssh/runtime.js', 'createHosts', 'the SSH transport factory (createHosts)');
  const Materializer = await load<new () => Materializer>('../pki/materializer.js', 'PkiMaterializer', 'the certificate materializer');
  const KubeFactory = await load<new () => KubeApiFactory>('../kube/client.js', 'TunnelKubeApiFactory', 'the Kubernetes API client');
  const ProberClass = await load<new () => Prober>('../kube/prober.js', 'HttpsProber', 'the HTTPS prober');
  return { hosts: await createHosts(config), materializer: new Materializer(), kube: new KubeFactory(), prober: new ProberClass() };
}
