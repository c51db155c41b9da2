/**
 * The plan: everything an apply will do, as data, saved immutably in the session and on disk.
 *
 * Its id is a hash of its content, so an edited plan file is caught on load. It carries the fingerprint
 * of the facts it was built from (apply refuses a stale plan) and, once observed, the hash of every file
 * it touches as it was when the operator reviewed the preview.
 */
import { BadInputError } from '../../exit-codes.js';
import { canonicalJson, sha256 } from './hash.js';
import { actionHost, type Action, type Risk } from './actions.js';
import { planSchema } from './schema.js';
import type { Step, StepInfo } from './step.js';
import { findSecret } from './secrets.js';

export interface Plan {
  formatVersion: 1;
  id: string;
  createdAt: string;
  cluster: string;
  factsFingerprint: string;
  /**
   * The session this plan is applied in, chosen when it is built because steps name on-host backups and
   * snapshots after it. A saved plan is applied once: its session then exists and `resume` continues it.
   */
  session?: string;
  steps: StepInfo[];
  actions: Action[];
  observed?: Record<string, string | null>;
}

const RISK_ORDER: Risk[] = ['read-only', 'reversible', 'disruptive', 'point-of-no-easy-return'];

export function worstRisk(risks: Iterable<Risk>): Risk {
  let worst = 0;
  for (const r of risks) worst = Math.max(worst, RISK_ORDER.indexOf(r));
  return RISK_ORDER[worst]!;
}

export function planContentId(plan: Omit<Plan, 'id'> | Plan): string {
  const { id: _id, ...rest } = plan as Plan;
  return sha256(canonicalJson(rest)).slice(0, 16);
}

/** `host:path`, the key the preview inputs and `observed` use for a file. */
export function fileKey(host: string, path: string): string {
  return `${host}:${path}`;
}

/** Files the plan writes or removes, in plan order, without duplicates. */
export function touchedFiles(plan: Pick<Plan, 'actions'>): Array<{ host: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ host: string; path: string }> = [];
  for (const a of plan.actions) {
    if (a.type !== 'write-file' && a.type !== 'remove-file') continue;
    const key = fileKey(a.host, a.path);
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ host: a.host, path: a.path });
    }
  }
  return out;
}

export interface BuildPlanInput {
  cluster: string;
  /** sha256 of the ClusterFacts the steps were built from. */
  factsFingerprint: string;
  /** The session id the steps were given (steps/kit/step.ts StepContext.session). */
  session?: string;
  /** The steps' output, in order (the registry's builders already applied). */
  steps: Step[];
  now?: Date;
}

/** Assembles the steps' actions into a validated plan. Pure apart from the clock. */
export function buildPlan(input: BuildPlanInput): Plan {
  const steps: StepInfo[] = [];
  const actions: Action[] = [];
  for (const step of input.steps) {
    for (const a of step.actions) {
      if (a.step !== step.id) throw new BadInputError(`step ${step.id} returned action ${a.id} labelled with step "${a.step}"`);
    }
    const { actions: produced, ...info } = step;
    steps.push(info);
    actions.push(...produced);
  }
  const draft = {
    formatVersion: 1 as const,
    createdAt: (input.now ?? new Date()).toISOString(),
    cluster: input.cluster,
    factsFingerprint: input.factsFingerprint,
    ...(input.session ? { session: input.session } : {}),
    steps,
    actions,
  };
  const plan: Plan = { ...draft, id: planContentId(draft) };
  validatePlan(plan);
  return plan;
}

/** Records what the touched files looked like when the plan was reviewed; the id changes with it. */
export function withObserved(plan: Plan, observed: Record<string, string | null>): Plan {
  const { id: _id, ...rest } = plan;
  const next = { ...rest, observed };
  return { ...next, id: planContentId(next) };
}

/**
 * The rules a plan must follow before anything runs. Throws BadInputError naming the first problem.
 * Every mutating action must be undoable: writes and removes by backup, patches by their before-state,
 * runs by an explicit `undo` (or by being marked read-only or point-of-no-easy-return).
 */
export function validatePlan(plan: Plan, source = 'plan'): void {
  const bad = (msg: string, hint?: string): never => {
    throw new BadInputError(`${source}: ${msg}`, hint);
  };
  const stepIndex = new Map<string, number>();
  plan.steps.forEach((s, i) => {
    if (stepIndex.has(s.id)) bad(`steps[${i}].id "${s.id}" is used twice`);
    stepIndex.set(s.id, i);
  });
  const seen = new Map<string, number>();
  let lastStep = 0;
  plan.actions.forEach((a, i) => {
    const where = `actions[${i}] (${a.id})`;
    const prev = seen.get(a.id);
    if (prev !== undefined) bad(`actions[${i}].id "${a.id}" duplicates actions[${prev}]`);
    seen.set(a.id, i);
    const si = stepIndex.get(a.step);
    if (si === undefined) bad(`${where}: step "${a.step}" is not in the plan's steps`);
    else if (si < lastStep) bad(`${where}: step "${a.step}" comes after step "${plan.steps[lastStep]!.id}"; actions must be in step order`);
    else lastStep = si;
    if (a.type === 'run' && !a.undo && a.risk !== 'read-only' && a.risk !== 'point-of-no-easy-return') {
      bad(`${where}: command \`${a.argv.join(' ')}\` changes something (risk ${a.risk}) but has no undo`, "give it an undo argv, or mark it 'read-only' or 'point-of-no-easy-return'");
    }
    if (a.type === 'patch-object' && a.object.kind === 'Secret') {
      bad(`${where}: patching a Secret is not supported (its before-state would have to be journaled)`);
    }
  });
  for (const step of plan.steps) {
    const problem = scheduleProblems(step, plan.actions.filter((a) => a.step === step.id))[0];
    if (problem) bad(problem);
  }
  const leak = findSecret(plan);
  if (leak) bad(`${leak} contains secret material; secrets must be Content recipes, never bytes in the plan`);
}

/**
 * Problems with `pairedWith` and `gate` in one step (empty: fine): the scheduler (run/schedule.ts) keeps a pair
 * in one lane, so a pair must name a later action and, in a step that runs hosts in parallel, stay on one host
 * with no gate inside.
 */
export function scheduleProblems(step: Pick<StepInfo, 'id' | 'parallelHosts'>, actions: readonly Action[]): string[] {
  const problems: string[] = [];
  const parallel = (step.parallelHosts ?? 1) > 1;
  actions.forEach((a, i) => {
    if (a.pairedWith === undefined) return;
    const j = actions.findIndex((b) => b.id === a.pairedWith);
    if (j <= i) {
      problems.push(`${a.id}: pairedWith "${a.pairedWith}" must name a later action of step ${step.id}`);
      return;
    }
    // In a parallel step a unit must fit in one lane: one host, no gate inside.
    const range = actions.slice(i, j + 1);
    if (parallel && range.some((b) => actionHost(b) !== actionHost(a) || b.gate)) {
      problems.push(`${a.id}: in a step that runs hosts in parallel, every action from it to ${a.pairedWith} must be on ${actionHost(a)} and none a gate`);
    }
  });
  return problems;
}

/** Parses and validates a plan file's text. Every problem is a BadInputError naming the file and field. */
export function parsePlan(text: string, source = 'plan.json'): Plan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const at = first ? first.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '';
    throw new BadInputError(`${source}: ${at ? `${at}: ` : ''}${first?.message ?? 'invalid'}`, `${parsed.error.issues.length} problem(s) in total`);
  }
  const plan = parsed.data as Plan;
  const expected = planContentId(plan);
  if (plan.id !== expected) {
    throw new BadInputError(`${source}: content does not match its id ${plan.id} (the file was edited after it was made)`, 'make a new plan with `ha-wizard plan --out FILE`');
  }
  validatePlan(plan, source);
  return plan;
}

export function serializePlan(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

/** Terraform's "Saved plan is stale": refuses when the facts changed since planning. */
export function assertFresh(plan: Plan, currentFingerprint: string): void {
  if (plan.factsFingerprint !== currentFingerprint) {
    throw new BadInputError(
      `plan ${plan.id} is stale: the cluster changed since it was made (facts ${short(plan.factsFingerprint)} then, ${short(currentFingerprint)} now)`,
      'run `ha-wizard plan` again and review the new preview',
    );
  }
}

function short(fp: string): string {
  return fp.length > 19 ? `${fp.slice(0, 19)}…` : fp;
}

export function stepOf(plan: Plan, stepId: string): StepInfo {
  const s = plan.steps.find((x) => x.id === stepId);
  if (!s) throw new BadInputError(`no step "${stepId}" in plan ${plan.id}`, `steps: ${plan.steps.map((x) => x.id).join(', ')}`);
  return s;
}

/** The etcd snapshot the plan takes before its first change (`etcdctl snapshot save PATH`), if it takes one: the last-resort restore point. */
export function snapshotOf(plan: Pick<Plan, 'actions'>): { host: string; path: string } | null {
  for (const a of plan.actions) {
    if (a.type !== 'run') continue;
    const at = a.argv.indexOf('snapshot');
    const path = at >= 0 && a.argv[at + 1] === 'save' ? a.argv[at + 2] : undefined;
    if (path) return { host: a.host, path };
  }
  return null;
}
