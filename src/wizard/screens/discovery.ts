/** The discovery screen (ui/DiscoveryScreen.tsx): what the cluster is and the preflight checks; on to the plan when they pass. */
import { ExitCode } from '../../exit-codes.js';
import type { Intent, Transition, WizardState } from '../model.js';
import { go, makePlan, quit, t } from '../transition.js';

export function reduceDiscovery(s: WizardState, i: Intent): Transition {
  const d = s.discovery;
  const failed = d.checks.some((c) => c.status === 'fail');
  switch (i.type) {
    case 'up':
      return t({ ...s, discovery: { ...d, scroll: Math.max(0, d.scroll - 1) } });
    case 'down':
      return t({ ...s, discovery: { ...d, scroll: Math.min(Math.max(0, d.checks.length - 1), d.scroll + 1) } });
    case 'page-up':
      return t({ ...s, discovery: { ...d, scroll: Math.max(0, d.scroll - 10) } });
    case 'page-down':
      return t({ ...s, discovery: { ...d, scroll: Math.min(Math.max(0, d.checks.length - 1), d.scroll + 10) } });
    case 'retry':
      return t({ ...s, busy: 'Discovering the cluster and running preflight checks…', discovery: { facts: null, checks: [], scroll: 0, error: null } }, { type: 'discover' });
    case 'select':
      if (d.error || !d.facts) return t(s);
      if (failed) return t({ ...s, message: { kind: 'error', text: 'Preflight failed: fix the failing checks (each says how), then r to run them again' } });
      return t({ ...s, busy: 'Making the plan (certificates are specified now, issued at apply)…', message: null }, makePlan(s));
    case 'back':
      return t(go(s, 'form'));
    case 'quit':
      return quit(s, ExitCode.Ok, 'Nothing was changed.');
    default:
      return t(s);
  }
}
