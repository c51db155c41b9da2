/** The execute screen (ui/ExecuteScreen.tsx): progress; answers the engine's "did this interrupted action take effect?". */
import type { Intent, Transition, WizardState } from '../model.js';
import { t } from '../transition.js';

export function reduceExecute(s: WizardState, i: Intent): Transition {
  const q = s.question;
  if (q) {
    if (i.type === 'yes') return t({ ...s, question: null }, { type: 'answer-question', id: q.id, resolution: 'done' });
    if (i.type === 'retry' || i.type === 'no') return t({ ...s, question: null }, { type: 'answer-question', id: q.id, resolution: 'redo' });
  }
  return t(s);
}
