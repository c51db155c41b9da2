/** The resume screen (ui/ResumeScreen.tsx): a session in progress was found; resume it, roll it back, or start anew. */
import { ExitCode } from '../../exit-codes.js';
import type { Intent, Transition, WizardState } from '../model.js';
import { go, menuMove, quit, t } from '../transition.js';
import { previewRollback } from './rollback.js';

export const RESUME_CHOICES = ['Resume it', 'Roll it back', 'Start a new conversion', 'Quit'] as const;

export function reduceResume(s: WizardState, i: Intent): Transition {
  const moved = menuMove(s, i, RESUME_CHOICES.length);
  if (moved) return t(moved);
  const session = s.resumable.at(-1);
  if (i.type === 'quit' || i.type === 'back') return quit(s, ExitCode.Ok, 'Nothing was changed.');
  if (i.type !== 'select' || !session) return t(s);
  switch (s.menu) {
    case 0:
      return t({ ...s, session: session.id, busy: 'Reconnecting…' }, { type: 'resume', session: session.id });
    case 1:
      return previewRollback(s, session.id);
    case 2: {
      const next = go(s, 'welcome');
      if (s.options.configPath) return t({ ...next, busy: 'Reading the config file…' }, { type: 'load-config', path: s.options.configPath });
      return t(next);
    }
    default:
      return quit(s, ExitCode.Ok, 'Nothing was changed.');
  }
}
