/** The connect screen (ui/ConnectScreen.tsx): every host's connection, and the host-key and sudo-password questions. */
import { ExitCode } from '../../exit-codes.js';
import type { Intent, Transition, WizardState } from '../model.js';
import { editField, go, quit, t } from '../transition.js';

export function reduceConnect(s: WizardState, i: Intent): Transition {
  const c = s.connect;
  if (c.password) {
    const p = c.password;
    const edited = editField(s, p.value, i, (x, value) => ({ ...x, connect: { ...c, password: { ...p, value } } }));
    if (edited) return edited;
    switch (i.type) {
      case 'select':
        return t({ ...s, connect: { ...c, password: null } }, { type: 'answer-password', id: p.id, password: p.value });
      case 'back':
        return t({ ...s, connect: { ...c, password: null } }, { type: 'answer-password', id: p.id, password: null });
      default:
        return t(s);
    }
  }
  if (c.hostKey) {
    const k = c.hostKey;
    if (i.type === 'yes') return t({ ...s, connect: { ...c, hostKey: null } }, { type: 'answer-host-key', id: k.id, accept: true });
    if (i.type === 'no' || i.type === 'back') return t({ ...s, connect: { ...c, hostKey: null } }, { type: 'answer-host-key', id: k.id, accept: false });
    return t(s);
  }
  if (!c.done) return t(s);
  if (i.type === 'retry') return t({ ...s, busy: 'Connecting…', message: null, connect: { ...c, done: false, hosts: c.hosts.map((h) => (h.state === 'failed' ? { ...h, state: 'waiting', detail: '' } : h)) } }, { type: 'connect' });
  if (i.type === 'back' || i.type === 'edit') return t(go(s, 'form'));
  if (i.type === 'quit') return quit(s, ExitCode.Ok, 'Nothing was changed.');
  return t(s);
}
