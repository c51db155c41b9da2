/** The form screen (ui/FormScreen.tsx): the cluster entered field by field, checked as typed, saved as a config file. */
import { ExitCode } from '../../exit-codes.js';
import { checkForm, FIELDS, formYaml } from '../form.js';
import type { Intent, Transition, WizardState } from '../model.js';
import { clamp, go, quit, t } from '../transition.js';
import { editText } from '../text-edit.js';

export function reduceForm(s: WizardState, i: Intent): Transition {
  const f = s.form;
  const spec = FIELDS[f.field]!;
  const setValue = (value: string) => {
    const values = { ...f.values, [spec.id]: value };
    return t({ ...s, message: null, form: { ...f, values, check: checkForm(values) } });
  };
  switch (i.type) {
    case 'up':
      return t({ ...s, form: { ...f, field: clamp(f.field - 1, 0, FIELDS.length - 1) } });
    case 'down':
      return t({ ...s, form: { ...f, field: clamp(f.field + 1, 0, FIELDS.length - 1) } });
    case 'left':
    case 'right': {
      if (!spec.choices) return t(s);
      const at = spec.choices.indexOf(f.values[spec.id]);
      const n = spec.choices.length;
      return setValue(spec.choices[(at + (i.type === 'right' ? 1 : n - 1)) % n]!);
    }
    case 'toggle':
      return spec.choices ? reduceForm(s, { type: 'right' }) : t(s);
    case 'type':
    case 'erase':
    case 'text': {
      if (spec.choices) return t(s);
      const e = editText(f.values[spec.id], s.cursor, i);
      if (!e) return t(s);
      const next = setValue(e.value);
      return t({ ...next.state, cursor: e.cursor });
    }
    case 'back':
      return t(go(s, 'welcome'));
    case 'quit':
      return spec.choices ? quit(s, ExitCode.Ok, 'Nothing was changed.') : t(s);
    case 'select': {
      if (f.field < FIELDS.length - 1) return t({ ...s, form: { ...f, field: f.field + 1 } });
      if (!f.check.valid) {
        const first = FIELDS.findIndex((x) => f.check.errors[x.id] !== undefined);
        return t({ ...s, form: { ...f, field: first >= 0 ? first : f.field }, message: { kind: 'error', text: `Fix the marked field${first >= 0 ? `: ${FIELDS[first]!.label.trim()}` : ''} (${f.check.general[0] ?? 'see the message beside it'})` } });
      }
      return t({ ...s, busy: `Saving ${f.values.savePath}…` }, { type: 'save-config', path: f.values.savePath.trim(), text: formYaml(f.values) });
    }
    default:
      return t(s);
  }
}
