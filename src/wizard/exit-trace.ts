/**
 * A debugging aid for "the process did not exit": with HA_WIZARD_DEBUG_EXIT=FILE set, the wizard appends
 * to FILE what still keeps the event loop alive (handles and requests, by type and detail) once the
 * operator has quit, and again every second until the process ends. Nothing secret is written: only
 * handle kinds, fds, addresses and timer delays.
 */
import { appendFileSync } from 'node:fs';

interface ProcessWithHandles {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

function describe(h: unknown): string {
  if (h === null || typeof h !== 'object') return String(h);
  const o = h as Record<string, unknown> & { constructor?: { name?: string }; hasRef?: () => boolean };
  const kind = o.constructor?.name ?? 'Object';
  const ref = typeof o.hasRef === 'function' ? (o.hasRef() ? ' ref' : ' unref') : '';
  const bits: string[] = [];
  const fd = (o as { fd?: unknown }).fd ?? (o._handle as { fd?: unknown } | undefined)?.fd;
  if (typeof fd === 'number') bits.push(`fd=${fd}`);
  if (kind === 'Socket') {
    const s = o as { remoteAddress?: string; remotePort?: number; isTTY?: boolean; readableFlowing?: boolean | null; destroyed?: boolean };
    if (s.isTTY) bits.push('tty');
    if (s.remoteAddress) bits.push(`${s.remoteAddress}:${s.remotePort}`);
    bits.push(`flowing=${String(s.readableFlowing)}`, `destroyed=${String(s.destroyed)}`);
    const handle = o._handle as { hasRef?: () => boolean } | null | undefined;
    if (handle && typeof handle.hasRef === 'function') bits.push(handle.hasRef() ? 'handle-ref' : 'handle-unref');
  }
  if (kind === 'Timeout') bits.push(`after=${String((o as { _idleTimeout?: unknown })._idleTimeout)}`);
  return `${kind}${ref}${bits.length ? ` (${bits.join(' ')})` : ''}`;
}

/** One line per live handle and request. */
export function liveHandles(): string[] {
  const p = process as unknown as ProcessWithHandles;
  const handles = p._getActiveHandles?.() ?? [];
  const requests = p._getActiveRequests?.() ?? [];
  return [...handles.map(describe), ...requests.map((r) => `request ${describe(r)}`)];
}

/** Starts tracing to FILE when the env var is set; returns a function that records a named moment. */
export function exitTracer(env: NodeJS.ProcessEnv = process.env): (moment: string) => void {
  const file = env['HA_WIZARD_DEBUG_EXIT'];
  if (!file) return () => undefined;
  const t0 = Date.now();
  const write = (moment: string) => {
    const resources = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
    appendFileSync(file, `[${process.pid} +${Date.now() - t0}ms] ${moment}\n  resources: ${resources.join(', ')}\n${liveHandles().map((l) => `  ${l}\n`).join('')}`);
  };
  let watching = false;
  return (moment) => {
    write(moment);
    // From the first moment (the operator quit) on: a line every second while the process lives, and its end.
    if (!watching) {
      watching = true;
      setInterval(() => write('still running'), 1000).unref();
      process.once('exit', (code) => appendFileSync(file, `[${process.pid} +${Date.now() - t0}ms] exit ${code}\n`));
    }
  };
}
