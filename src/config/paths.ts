/**
 * Workstation paths written in the config file: `~` is the operator's home, a relative path is relative
 * to the config file (not to wherever the command happens to run).
 */
import { isAbsolute, join, resolve } from 'node:path';

/** Expanded path, or null for `~user/…` (another user's home is not looked up). */
export function expandPath(written: string, home: string, baseDir: string): string | null {
  if (written === '~') return home;
  if (written.startsWith('~/')) return join(home, written.slice(2));
  if (written.startsWith('~')) return null;
  return isAbsolute(written) ? written : resolve(baseDir, written);
}
