/** The welcome screen (ui/WelcomeScreen.tsx): load a config file, or enter the cluster in the form. */
import { ExitCode } from '../../exit-codes.js';
import type { Intent, Transition, WizardState } from '../model.js';
import { go, menuMove, quit, t } from '../transition.js';

export const WELCOME_CHOICES = ['Load a config file', 'Enter the cluster step by step', 'Quit'] as const;

export function reduceWelcome(s: WizardState, i: Intent): Transition {
  if (s.welcome.mode === 'path') {
    switch (i.type) {
      case 'type':
        return t({ ...s, welcome: { ...s.welcome, path: s.welcome.path + i.text } });
      case 'erase':
        return t({ ...s, welcome: { ...s.welcome, path: s.welcome.path.slice(0, -1) } });
      case 'back':
        return t({ ...s, welcome: { ...s.welcome, mode: 'menu', report: null }, message: null });
      case 'select':
        if (!s.welcome.path.trim()) return t({ ...s, message: { kind: 'error', text: 'Type the path of a config file' } });
        return t({ ...s, busy: 'Reading the config file…', message: null, welcome: { ...s.welcome, report: null } }, { type: 'load-config', path: s.welcome.path.trim() });
      default:
        return t(s);
    }
  }
  const moved = menuMove(s, i, WELCOME_CHOICES.length);
  if (moved) return t(moved);
  if (i.type === 'quit' || i.type === 'back') return quit(s, ExitCode.Ok, 'Nothing was changed.');
  if (i.type !== 'select') return t(s);
  if (s.menu === 0) return t({ ...s, welcome: { ...s.welcome, mode: 'path' } });
  if (s.menu === 1) return t(go(s, 'form'));
  return quit(s, ExitCode.Ok, 'Nothing was changed.');
}
