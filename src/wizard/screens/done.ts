/** The done screen (ui/DoneScreen.tsx): the outcome, what to repoint by hand, and how to go on. */
import { ExitCode } from '../../exit-codes.js';
import type { Phase } from '../../engine/model/events.js';
import { asInvoked } from '../../reporters/invocation.js';
import type { Intent, Transition, WizardState } from '../model.js';
import { quit, scrolled, t } from '../transition.js';

/** The command that continues the session, as the operator can run it. */
export function resumeCommand(s: WizardState): string {
  const given = s.outcome?.resumeCommand;
  return given ? asInvoked(given, s.options.command) : `${s.options.command} resume ${s.session}`;
}

export function reduceDone(s: WizardState, i: Intent): Transition {
  const v = s.doneView;
  // A detail list (the verification checks, the references to repoint) is a scrolled view over the summary.
  if (v.list !== 'summary') {
    const scroll = scrolled(s, v.scroll, i);
    if (scroll !== null) return t({ ...s, doneView: { ...v, scroll } });
    switch (i.type) {
      case 'back':
      case 'select':
        return t({ ...s, doneView: { list: 'summary', scroll: 0 } });
      case 'details':
        return t({ ...s, doneView: { list: v.list === 'checks' ? 'summary' : 'checks', scroll: 0 } });
      case 'references':
        return t({ ...s, doneView: { list: v.list === 'references' ? 'summary' : 'references', scroll: 0 } });
      case 'quit':
        break;
      default:
        return t(s);
    }
  } else if (i.type === 'details' && s.outcome?.status === 'finished' && s.outcome.phase === 'apply') {
    return t({ ...s, doneView: { list: 'checks', scroll: 0 } });
  } else if (i.type === 'references' && s.plan?.references && s.outcome?.status === 'finished' && s.outcome.phase === 'apply') {
    return t({ ...s, doneView: { list: 'references', scroll: 0 } });
  }
  if (i.type !== 'quit' && i.type !== 'select' && i.type !== 'back') return t(s);
  const o = s.outcome;
  if (!o) return quit(s, ExitCode.Ok, '');
  if (o.status === 'stopped') return quit(s, ExitCode.Stopped, `Stopped safely. Continue with: ${resumeCommand(s)}`);
  return quit(s, ExitCode.Ok, doneMessage(s, o.phase));
}

function doneMessage(s: WizardState, phase: Phase): string {
  if (phase === 'rollback') return `Rollback of session ${s.session} complete.`;
  return `Session ${s.session} complete.${s.target ? ` The API is now at https://${s.target.endpoint}.` : ''}`;
}
