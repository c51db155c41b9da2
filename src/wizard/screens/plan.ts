/**
 * The plan review (ui/PlanScreen.tsx): the steps, expanded one at a time; the references to the old address;
 * the failover drill added or removed (re-plans); approval by typing the word the engine asks for.
 */
import { ExitCode } from '../../exit-codes.js';
import { approvalWord } from '../../engine/model/approval.js';
import type { Intent, OldAddressReport, Transition, WizardState } from '../model.js';
import { STARTING, clamp, editField, go, makePlan, quit, scrolled, t } from '../transition.js';
import { searchSteps } from '../../reporters/plan-lines.js';
import type { PlanSearch } from '../model.js';

/** The words that approve the plan under review: the engine's approvalWord (`apply` asks the same), `y` for `yes`. */
export function approvalWords(s: WizardState): string[] {
  if (!s.plan) return [];
  const word = approvalWord(s.plan.summary);
  return word === 'yes' ? ['yes', 'y'] : [word];
}

/** The step the failover drill adds to the plan (steps/failover-drill.ts names it; not imported here, so the first frame loads no step code). */
export const DRILL_STEP = 'failover-drill';

/** How many references to the old address the operator must repoint (findings and nodes out of reach). */
export function referenceCount(r: OldAddressReport | undefined): number {
  return r ? r.findings.length + r.unreachableNodes.length : 0;
}

export function reducePlan(s: WizardState, i: Intent): Transition {
  const p = s.plan;
  if (!p) return t(s);
  if (p.showReferences && p.confirm === null) {
    const scroll = scrolled(s, p.scroll, i);
    if (scroll !== null) return t({ ...s, plan: { ...p, scroll } });
    switch (i.type) {
      case 'references':
      case 'back':
      case 'select':
        return t({ ...s, plan: { ...p, showReferences: false, scroll: 0 } });
      case 'quit':
        return quit(s, ExitCode.Ok, 'Nothing was changed. The plan was not applied.');
      default:
        return t(s);
    }
  }
  if (p.search?.editing) return reduceSearchInput(s, i);
  if (p.confirm !== null) {
    const confirm = p.confirm;
    const edited = editField(s, confirm, i, (x, value) => ({ ...x, plan: { ...p, confirm: value, error: null } }));
    if (edited) return edited;
    switch (i.type) {
      case 'back':
        return t({ ...s, plan: { ...p, confirm: null, error: null } });
      case 'select': {
        const words = approvalWords(s);
        if (!words.includes(confirm.trim())) {
          return t({ ...s, plan: { ...p, confirm: '', error: `Only ${words.map((w) => `'${w}'`).join(' or ')} will be accepted to approve.` } });
        }
        return t({ ...s, plan: { ...p, confirm: null, error: null }, busy: STARTING }, { type: 'apply' });
      }
      default:
        return t(s);
    }
  }
  const n = p.preview.steps.length;
  if (p.expanded) {
    const scroll = scrolled(s, p.scroll, i);
    if (scroll !== null) return t({ ...s, plan: { ...p, scroll } });
  }
  switch (i.type) {
    case 'up':
      return t({ ...s, plan: { ...p, cursor: clamp(p.cursor - 1, 0, n - 1) } });
    case 'down':
      return t({ ...s, plan: { ...p, cursor: clamp(p.cursor + 1, 0, n - 1) } });
    case 'page-up':
      return t({ ...s, plan: { ...p, cursor: clamp(p.cursor - 10, 0, n - 1) } });
    case 'page-down':
      return t({ ...s, plan: { ...p, cursor: clamp(p.cursor + 10, 0, n - 1) } });
    case 'left':
      if (p.expanded) return t({ ...s, plan: { ...p, cursor: clamp(p.cursor - 1, 0, n - 1), expanded: p.preview.steps[clamp(p.cursor - 1, 0, n - 1)]!.id, scroll: 0 } });
      return t(s);
    case 'right':
      if (p.expanded) return t({ ...s, plan: { ...p, cursor: clamp(p.cursor + 1, 0, n - 1), expanded: p.preview.steps[clamp(p.cursor + 1, 0, n - 1)]!.id, scroll: 0 } });
      return t(s);
    case 'select':
    case 'toggle': {
      const id = p.preview.steps[p.cursor]?.id ?? null;
      return t({ ...s, plan: { ...p, expanded: p.expanded === id ? null : id, scroll: 0 } });
    }
    case 'back':
      if (p.search) return t({ ...s, plan: { ...p, search: undefined } });
      if (p.expanded) return t({ ...s, plan: { ...p, expanded: null, scroll: 0 } });
      return t(go(s, 'discovery'));
    case 'search':
      return t({ ...s, plan: { ...p, search: { query: '', editing: true, hits: [], at: 0 } } });
    case 'next-match':
    case 'prev-match': {
      const q = p.search;
      if (!q || !q.hits.length) return t({ ...s, message: { kind: 'info', text: 'Press / to search the plan' } });
      const at = (q.at + (i.type === 'next-match' ? 1 : q.hits.length - 1)) % q.hits.length;
      return t(showHit({ ...s, message: null }, { ...q, at }));
    }
    case 'approve':
      return t({ ...s, plan: { ...p, confirm: '', error: null } });
    case 'references':
      if (!p.references) return t(s);
      return t({ ...s, plan: { ...p, showReferences: true, expanded: null, scroll: 0 } });
    case 'drill': {
      if (!p.drill) return t({ ...s, message: { kind: 'error', text: 'The failover drill cannot be changed here' } });
      if (!p.drill.node && !p.drill.on) return t({ ...s, message: { kind: 'error', text: 'The failover drill needs at least two control-plane nodes' } });
      const want = !p.drill.on;
      const next = { ...s, planOptions: { ...s.planOptions, failoverDrill: want }, message: null };
      return t({ ...next, busy: want ? 'Re-planning with the failover drill…' : 'Re-planning without the failover drill…' }, makePlan(next));
    }
    case 'quit':
      return quit(s, ExitCode.Ok, 'Nothing was changed. The plan was not applied.');
    default:
      return t(s);
  }
}

/** Typing the search: Enter looks for it in every step's details and shows the first match; Esc gives up. */
function reduceSearchInput(s: WizardState, i: Intent): Transition {
  const p = s.plan!;
  const q = p.search!;
  const edited = editField(s, q.query, i, (x, query) => ({ ...x, plan: { ...p, search: { ...q, query } } }));
  if (edited) return edited;
  switch (i.type) {
    case 'back':
      return t({ ...s, plan: { ...p, search: undefined } });
    case 'select': {
      const query = q.query.trim();
      if (!query) return t({ ...s, plan: { ...p, search: undefined } });
      const hits = searchSteps(p.preview.steps, query);
      if (!hits.length) return t({ ...s, plan: { ...p, search: { ...q, editing: false, hits, at: 0 } }, message: { kind: 'error', text: `"${query}" is not in the plan` } });
      // The first match at or after the step in view.
      const from = p.expanded ? p.preview.steps.findIndex((x) => x.id === p.expanded) : p.cursor;
      const at = Math.max(0, hits.findIndex((h) => h.step > from || (h.step === from && h.line >= (p.expanded ? p.scroll : 0))));
      return t(showHit({ ...s, message: null }, { ...q, query, editing: false, hits, at }));
    }
    default:
      return t(s);
  }
}

/** The step of the current match expanded, scrolled so the matching line is in view (a few lines below the top). */
function showHit(s: WizardState, q: PlanSearch): WizardState {
  const p = s.plan!;
  const hit = q.hits[q.at]!;
  const step = p.preview.steps[hit.step]!;
  return { ...s, plan: { ...p, search: q, cursor: hit.step, expanded: step.id, scroll: Math.max(0, hit.line - 2) } };
}
