/** The welcome screen (ui/WelcomeScreen.tsx): load a config file, or enter the cluster in the form. */
import { ExitCode } from '../../exit-codes.js';
import type { Intent, Transition, WizardState } from '../model.js';
import { editField, go, menuMove, quit, t } from '../transition.js';

export const WELCOME_CHOICES = ['Load a config file', 'Enter the cluster step by step', 'Quit'] as const;

export function reduceWelcome(s: WizardState, i: Intent): Transition {
  if (s.welcome.mode === 'path') {
    const edited = editField(s, s.welcome.path, i, (x, path) => ({ ...x, welcome: { ...x.welcome, path } }));
    if (edited) return edited;
    switch (i.type) {
      case 'back':
        return t({ ...s, welcome: { ...s.welcome, mode: 'menu', report: null }, message: null });
      case 'select':
        if (!s.welcome.path.trim()) return t({ ...s, message: { kind: 'error', text: 'Type the path of a config file' } });
        return t({ ...s, busy: 'Reading the config file…', message: null, welcome: { ...s.welcome, report: null } }, { type: 'load-config', path: s.welcome.path.trim() });
      default:
        return t(s);
    }
  }
  // The menu takes keys only once the search for a session to resume is done (that offer comes first).
  if (!s.sessionsChecked) return i.type === 'quit' ? quit(s, ExitCode.Ok, 'Nothing was changed.') : t(s);
  const moved = menuMove(s, i, WELCOME_CHOICES.length);
  if (moved) return t(moved);
  if (i.type === 'quit' || i.type === 'back') return quit(s, ExitCode.Ok, 'Nothing was changed.');
  if (i.type !== 'select') return t(s);
  if (s.menu === 0) return t({ ...s, welcome: { ...s.welcome, mode: 'path' } });
  if (s.menu === 1) return t(go(s, 'form'));
  return quit(s, ExitCode.Ok, 'Nothing was changed.');
}
