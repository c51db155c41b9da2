/**
 * Ctrl-C policy (Terraform's): the first SIGINT/SIGTERM/SIGHUP asks the engine to finish the action in
 * flight, journal it and stop (resumable, exit 3); the second stops immediately, leaving that action
 * "started" for resume to check.
 */
export interface Interrupts {
  signal: AbortSignal;
  hardSignal: AbortSignal;
  /** What an interrupt does now: 'graceful' the first time, 'hard' after. */
  interrupt(): 'graceful' | 'hard';
  dispose(): void;
}

export function interrupts(onInterrupt?: (kind: 'graceful' | 'hard') => void, signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']): Interrupts {
  const graceful = new AbortController();
  const hard = new AbortController();
  const interrupt = (): 'graceful' | 'hard' => {
    const kind = graceful.signal.aborted ? 'hard' : 'graceful';
    (kind === 'graceful' ? graceful : hard).abort(kind);
    onInterrupt?.(kind);
    return kind;
  };
  const handler = () => void interrupt();
  for (const s of signals) process.on(s, handler);
  return {
    signal: graceful.signal,
    hardSignal: hard.signal,
    interrupt,
    dispose() {
      for (const s of signals) process.off(s, handler);
    },
  };
}
