/**
 * The rollback review (ui/RollbackScreen.tsx): before a rollback from the resume offer or the failure screen, what it
 * would undo (the same preview `ha-wizard rollback` prints), scrolled; `a` asks for the cluster's name typed, as apply
 * does; Esc goes back to where the rollback was chosen. A rollback across the point of no easy return is said so,
 * and the typed name approves it.
 */
import { ExitCode } from '../../exit-codes.js';
import type { Effect, Intent, Transition, WizardState } from '../model.js';
import { editField, go, quit, scrolled, t } from '../transition.js';

/** The review's first step: read what would be undone (changes nothing). */
export function previewRollback(s: WizardState, session: string, to?: string): Transition {
  return t({ ...s, session, busy: 'Reading what the rollback would undo (nothing changes yet)…', message: null }, { type: 'preview-rollback', session, ...(to ? { to } : {}) });
}

export function reduceRollback(s: WizardState, i: Intent): Transition {
  const r = s.rollback;
  if (!r) return t(s);
  if (r.confirm !== null) {
    const edited = editField(s, r.confirm, i, (x, confirm) => ({ ...x, rollback: { ...r, confirm, error: null } }));
    if (edited) return edited;
    switch (i.type) {
      case 'back':
        return t({ ...s, rollback: { ...r, confirm: null, error: null } });
      case 'select': {
        if (r.confirm.trim() !== r.preview.cluster) {
          return t({ ...s, rollback: { ...r, confirm: '', error: `Only '${r.preview.cluster}' will be accepted to roll back.` } });
        }
        const effect: Effect = {
          type: 'rollback',
          session: r.session,
          ...(r.to ? { to: r.to } : {}),
          // The review listed what crosses the point of no easy return and the operator typed the name to that.
          ...(r.preview.pointOfNoReturn.length ? { pastPointOfNoReturn: true } : {}),
        };
        return t({ ...s, rollback: { ...r, confirm: null, error: null }, busy: 'Rolling back…' }, effect);
      }
      default:
        return t(s);
    }
  }
  const scroll = scrolled(s, r.scroll, i);
  if (scroll !== null) return t({ ...s, rollback: { ...r, scroll } });
  switch (i.type) {
    case 'approve':
      if (!r.preview.steps.length) return t({ ...s, message: { kind: 'info', text: 'Nothing to undo: the session changed nothing that is still in effect.' } });
      // As the command refuses: a rollback that would stop half way is not started (nothing changed).
      if (r.preview.summary.problems) {
        return t({ ...s, message: { kind: 'error', text: `The rollback would stop at ${r.preview.summary.problems} problem(s) marked with ! (a backup missing or changed): restore those files by hand, then try again. Nothing was changed.` } });
      }
      return t({ ...s, rollback: { ...r, confirm: '', error: null } });
    case 'back':
      return t(go({ ...s, rollback: null }, r.back, { menu: s.menu }));
    case 'quit':
      if (r.back === 'failure') return quit(s, ExitCode.Stopped, `Stopped; the rollback was not started. Continue later with: ${s.options.command} resume ${r.session}`);
      return quit(s, ExitCode.Ok, 'Nothing was changed: the rollback was not started.');
    default:
      return t(s);
  }
}
