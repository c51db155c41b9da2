/** Seconds since `since`, re-rendered once a second while `running` (the execute screen's clock). */
import { useEffect, useState } from 'react';

export function useElapsed(since: number, until: number | null, now: () => number = Date.now): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (until !== null) return;
    const id = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(id);
  }, [until]);
  void tick;
  return Math.max(0, Math.floor(((until ?? now()) - since) / 1000));
}

export function formatElapsed(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
