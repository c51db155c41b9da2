/**
 * The live runtime, loaded on first use: ssh2, @peculiar/x509 and the engine cost ~0.3 s to import,
 * which the first frame of the wizard should not wait for.
 */
import type { LiveRuntime } from './live-runtime.js';
import type { WizardRuntime } from './runtime.js';

export function lazyLiveRuntime(env: NodeJS.ProcessEnv = process.env): WizardRuntime & { preload(): void } {
  let loaded: Promise<LiveRuntime> | null = null;
  let ready: LiveRuntime | null = null;
  const rt = () =>
    (loaded ??= import('./live-runtime.js').then((m) => {
      ready = new m.LiveRuntime(env);
      return ready;
    }));
  return {
    canSkip: true,
    preload: () => void rt(),
    // Only the session files are read for this (no ssh2, no PKI): the resume offer comes before the menu takes keys.
    findSessions: async () => (await import('./sessions.js')).findResumable(env),
    loadConfig: async (path) => (await rt()).loadConfig(path),
    saveConfig: async (path, text) => (await rt()).saveConfig(path, text),
    connect: async (prompts) => (await rt()).connect(prompts),
    discover: async (reading) => (await rt()).discover(reading),
    makePlan: async (opts) => (await rt()).makePlan(opts),
    apply: async (hooks) => (await rt()).apply(hooks),
    resume: async (session, hooks, prompts, skip) => (await rt()).resume(session, hooks, prompts, skip),
    previewRollback: async (session, to, prompts) => (await rt()).previewRollback(session, to, prompts),
    rollback: async (session, to, hooks, prompts, opts) => (await rt()).rollback(session, to, hooks, prompts, opts),
    // Only a loaded runtime can hold connections: quitting while it still loads (a q right after the first
    // frame) must not wait for ssh2 and the engine to finish importing just to close nothing.
    close: async () => {
      await ready?.close();
    },
  };
}
