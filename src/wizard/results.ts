/**
 * Results from the effects runner (controller.ts): sessions found, a config loaded, hosts connected, the cluster
 * discovered, a plan made, a run started, progressing and ended. Each moves the wizard on to the screen it leads to.
 */
import { checkForm, formFromConfig } from './form.js';
import type { ClusterConfig } from '../config/schema.js';
import type { ResultEvent, Transition, WizardState } from './model.js';
import { foldEvent, startRun } from './progress.js';
import { DRILL_STEP } from './screens/plan.js';
import { clamp, go, t } from './transition.js';
import { localizeCommands } from '../reporters/invocation.js';

export function reduceResult(s: WizardState, e: ResultEvent): Transition {
  switch (e.type) {
    case 'sessions-found': {
      const next = { ...s, resumable: e.sessions, busy: null, sessionsChecked: true };
      if (e.sessions.length) return t(go(next, 'resume'));
      if (s.options.configPath) return t({ ...next, busy: 'Reading the config file…' }, { type: 'load-config', path: s.options.configPath });
      return t(next);
    }
    case 'config-loaded': {
      const endpoint = `${e.config.endpoint.host}:${e.config.endpoint.port}`;
      const values = formFromConfig(e.config, e.path);
      const next: WizardState = {
        ...s,
        busy: null,
        config: { path: e.path, text: e.text, name: e.config.name, endpoint, warnings: e.warnings },
        target: { cluster: e.config.name, endpoint, master: e.config.controlPlane.existing.name },
        form: { ...s.form, values, check: checkForm(values) },
        welcome: { ...s.welcome, mode: 'menu', report: null },
        connect: { hosts: hostRows(e.config), hostKey: null, password: null, done: false },
        // A new config file: its own verify.failoverDrill decides again.
        planOptions: {},
      };
      return t({ ...go(next, 'connect'), busy: 'Connecting…' }, { type: 'connect' });
    }
    case 'config-invalid':
      return t({ ...s, busy: null, screen: s.screen === 'form' ? 'form' : 'welcome', welcome: { ...s.welcome, mode: s.screen === 'form' ? s.welcome.mode : 'path', report: e.report }, message: { kind: 'error', text: `${e.path} cannot be used; see below` } });
    case 'config-saved':
      return t({ ...s, message: { kind: 'info', text: `Saved ${e.path}` }, busy: 'Reading the config file…' }, { type: 'load-config', path: e.path });
    case 'host-state':
      return t({ ...s, connect: { ...s.connect, hosts: s.connect.hosts.map((h) => (h.name === e.host ? { ...h, state: e.state, detail: e.detail } : h)) } });
    case 'host-key-prompt':
      return t({ ...s, connect: { ...s.connect, hostKey: e.prompt } });
    case 'password-prompt':
      return t({ ...s, connect: { ...s.connect, password: { id: e.id, host: e.host, user: e.user, value: '' } } });
    case 'connect-done': {
      const next = { ...s, busy: null, connect: { ...s.connect, done: true, hostKey: null, password: null } };
      if (!e.ok) return t({ ...next, message: { kind: 'error', text: 'Some hosts could not be reached: r to retry, Esc to change the config' } });
      return t({ ...go(next, 'discovery'), busy: 'Discovering the cluster and running preflight checks…', discovery: { facts: null, checks: [], scroll: 0, error: null } }, { type: 'discover' });
    }
    case 'discovery-reading':
      if (!s.busy || s.screen !== 'discovery') return t(s);
      return t({ ...s, busy: `Discovering the cluster: ${e.host}, ${e.what}…` });
    case 'discovered':
      return t({ ...s, busy: null, discovery: { facts: e.facts, checks: e.checks, scroll: 0, error: null } });
    case 'discover-failed':
      return t({ ...s, busy: null, discovery: { ...s.discovery, error: e.error } });
    case 'planned': {
      const extras = { ...(e.references ? { references: e.references } : {}), ...(e.drill ? { drill: e.drill } : {}) };
      const plan = { summary: e.summary, preview: e.preview, cursor: 0, expanded: null, scroll: 0, confirm: null, error: null, ...extras };
      const replanned = s.screen === 'plan' && s.plan !== null;
      if (!replanned) return t({ ...go({ ...s, busy: null }, 'plan'), plan });
      if (s.plan!.showReferences) {
        // Re-planned from the reference list (an offer added or removed): stay on the list, the cursor on that offer.
        const chosen = (e.references?.offers ?? []).filter((o) => o.chosen).map((o) => o.id);
        const text = `Repointed by this plan: ${chosen.length ? chosen.join(', ') : 'nothing beyond kubeadm\'s clients'}.`;
        return t({ ...s, busy: null, message: { kind: 'info', text }, plan: { ...plan, showReferences: true, offerCursor: s.plan!.offerCursor ?? 0 } });
      }
      // Re-planned from the review (the drill toggled): stay here, on the drill step when it was added.
      const drillAt = e.preview.steps.findIndex((x) => x.id === DRILL_STEP);
      const cursor = e.drill?.on && drillAt >= 0 ? drillAt : clamp(s.plan!.cursor, 0, Math.max(0, e.preview.steps.length - 1));
      const text = e.drill?.on
        ? e.drill.what
          ? `Failover drill added as the last step (${e.drill.what}).`
          : `Failover drill added as the last step (stops ${e.drill.node ?? 'one'}'s apiserver, then starts it).`
        : 'Failover drill removed: the last step only reads.';
      return t({ ...s, busy: null, message: { kind: 'info', text }, plan: { ...plan, cursor } });
    }
    case 'plan-failed':
      return t({ ...s, busy: null, message: { kind: 'error', text: `Could not make the plan: ${e.error}` } });
    case 'rollback-previewed': {
      const back = s.screen === 'failure' ? 'failure' : s.screen === 'rollback' ? (s.rollback?.back ?? 'resume') : 'resume';
      // The menu cursor stays where the rollback was chosen, for Esc to come back to it.
      return t({ ...go({ ...s, busy: null }, 'rollback', { menu: s.menu }), rollback: { session: e.session, ...(e.to ? { to: e.to } : {}), preview: e.preview, scroll: 0, confirm: null, error: null, back } });
    }
    case 'rollback-preview-failed':
      return t({ ...s, busy: null, message: { kind: 'error', text: localizeCommands(`Cannot show what the rollback would undo, so it was not started: ${e.error}${e.hint ? `\n${e.hint}` : ''}`, s.options.command) } });
    case 'run-started':
      return t({
        ...go(s, 'execute'),
        busy: null,
        session: e.session,
        target: e.target ?? s.target,
        run: startRun(e.phase, e.at),
        interrupts: 0,
        failure: null,
        outcome: null,
        question: null,
        plan: s.plan ?? null,
        ...(e.planned && s.plan ? { plan: { ...s.plan, summary: { ...s.plan.summary, planned: e.planned } } } : {}),
      });
    case 'engine':
      if (!s.run) return t(s);
      return t({ ...s, run: foldEvent(s.run, e.event, e.at, s.plan?.summary.planned ?? {}) });
    case 'question':
      return t({ ...s, question: e.question });
    case 'run-ended': {
      const outcome = {
        status: e.status,
        phase: e.phase,
        ...(e.resumeCommand ? { resumeCommand: e.resumeCommand } : {}),
        ...(e.error ? { error: e.error } : {}),
        ...(e.session ? { session: e.session } : {}),
        ...(e.changedNothing ? { changedNothing: true } : {}),
        ...(e.rollbackCrossesPointOfNoReturn ? { rollbackCrossesPointOfNoReturn: true } : {}),
      };
      const run = s.run ? { ...s.run, endedAt: s.run.endedAt ?? e.at } : s.run;
      const base = { ...s, run, outcome, question: null, busy: null };
      if (e.status === 'failed') {
        // A failure without an action event (lost connection before the first action…) still gets the failure screen.
        const withFailure = run && !run.failure ? { ...run, failure: { phase: e.phase, step: run.steps.at(-1)?.id ?? null, action: '(none)', host: '-', error: e.error ?? 'unknown error' } } : run;
        return t(go({ ...base, run: withFailure }, 'failure', { failure: { choice: 0 } }));
      }
      return t(go({ ...base, doneView: { list: 'summary', scroll: 0 } }, 'done'));
    }
    case 'run-refused': {
      // The engine words its commands as `ha-wizard …`: here they are in the form the operator started the wizard.
      const message = { kind: 'error' as const, text: localizeCommands(`${e.error}${e.hint ? `\n${e.hint}` : ''}`, s.options.command) };
      if (s.screen !== 'execute' || !s.run) return t({ ...s, busy: null, message });
      // Refused before changing anything (e.g. rollback across the point of no easy return): back to the choices.
      const run = { ...s.run, failure: s.run.failure ?? { phase: s.run.phase, step: s.run.steps.at(-1)?.id ?? null, action: '(refused)', host: '-', error: e.error } };
      return t({ ...go({ ...s, busy: null, run }, 'failure', { failure: { choice: 0 } }), message });
    }
  }
}

function hostRows(c: ClusterConfig): WizardState['connect']['hosts'] {
  const row = (n: { name: string; address: string }, role: string) => ({ name: n.name, address: n.address, role, state: 'waiting' as const, detail: '' });
  return [
    row(c.controlPlane.existing, 'control plane'),
    ...c.controlPlane.promote.map((n) => row(n, 'to promote')),
    ...(c.proxy.host ? [row(c.proxy.host, 'proxy')] : []),
    ...(c.workers ?? []).map((n) => row(n, 'worker')),
  ];
}
