import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { approvalWords, referenceCount } from '../wizard/screens/plan.js';
import { referenceLines, stepDetailLines } from '../reporters/plan-lines.js';
import { RiskBadge } from './RiskBadge.js';
import { ScrolledLines } from './ScrolledLines.js';
import { TextField } from './TextField.js';
import { useTone } from './use-color.js';

/**
 * Screen 4: the steps with risk and hosts; one expanded with its actions, diffs, commands and certificates, every line
 * wrapped at the terminal's width (a SAN list is read in full, one name a line); `/` searches every step's details.
 */
export function PlanScreen({ state, rows, columns }: { state: WizardState; rows: number; columns: number }) {
  const tone = useTone();
  const p = state.plan;
  if (!p) return null;
  const steps = p.preview.steps;
  const ponrIndex = steps.findIndex((s) => s.pointOfNoReturn !== null);
  const expanded = p.expanded ? steps.find((s) => s.id === p.expanded) : undefined;
  const header = (
    <Text wrap="truncate-end">
      Plan {p.summary.id} for cluster {p.summary.cluster}: {steps.length} steps, {p.preview.plan.actions} actions
    </Text>
  );
  const confirm =
    p.confirm !== null ? (
      <Box flexDirection="column">
        <Text bold>
          {p.summary.disruptive ? `This plan restarts control-plane components${ponrIndex >= 0 ? ' and crosses the point of no easy return' : ''}. ` : ''}
          Type {approvalWords(state).filter((w) => w !== 'y').map((w) => `'${w}'`).join(' or ')} to apply it, Esc to cancel:
        </Text>
        <Text>
          <Text color={tone('cyan')}>› </Text>
          <TextField value={p.confirm} cursor={state.cursor} />
        </Text>
        {p.error ? <Text color={tone('red')}>{p.error}</Text> : null}
      </Box>
    ) : null;
  const q = p.search;
  const searchLine = q ? (
    q.editing ? (
      <Text>
        <Text color={tone('cyan')}>/</Text>
        <TextField value={q.query} cursor={state.cursor} />
        <Text color={tone('gray')}> Enter: find · Esc: cancel</Text>
      </Text>
    ) : (
      <Text color={tone('gray')} wrap="truncate-end">
        /{q.query}: {q.hits.length ? `match ${q.at + 1} of ${q.hits.length}` : 'no match'} · n next · N previous · / new search · Esc end the search
      </Text>
    )
  ) : null;
  const extraRows = (confirm ? 3 + (p.error ? 1 : 0) : 0) + (searchLine ? 1 : 0);
  const refs = p.references;
  const refCount = referenceCount(refs);
  const endpoint = state.target?.endpoint ?? state.config?.endpoint;
  if (refs && p.showReferences) {
    return (
      <Box flexDirection="column">
        {header}
        <Text bold wrap="truncate-end">
          Old address {refs.oldAddress}: {refCount} reference(s) ha-wizard does not change
        </Text>
        {refs.offers?.length ? (
          <Text wrap="truncate-end">
            ha-wizard can repoint (←→ choose · Space: add or remove, re-plans):
            {refs.offers.map((o, i) => (
              <Text key={o.id} color={i === (p.offerCursor ?? 0) ? tone('cyan') : undefined} bold={i === (p.offerCursor ?? 0)}>
                {` ${i === (p.offerCursor ?? 0) ? '›' : ' '}[${o.chosen ? 'x' : ' '}] ${o.id}`}
              </Text>
            ))}
          </Text>
        ) : null}
        <Text wrap="truncate-end">Repoint each to {endpoint ? `https://${endpoint}` : 'the endpoint'} yourself once the conversion is done:</Text>
        <ScrolledLines lines={referenceLines(refs)} scroll={p.scroll} rows={rows - 3} columns={columns} keys="o or Esc back to the plan" />
      </Box>
    );
  }
  const drill = p.drill;
  const refLine = refs ? (
    refCount ? (
      <Text color={tone('yellow')} wrap="truncate-end">
        {refCount} reference(s) to the old address that ha-wizard does not change: o to see them
      </Text>
    ) : refs.notes.length ? (
      <Text color={tone('yellow')} wrap="truncate-end">
        Old address audit incomplete ({refs.notes.length} note(s)): o to see why
      </Text>
    ) : refs.audited ? (
      <Text color={tone('gray')} wrap="truncate-end">
        No other references to the old address.{refs.repointed?.length ? ` ${refs.repointed.length} repointed by this plan: o to see them.` : ''}
      </Text>
    ) : null
  ) : null;
  const drillLine = drill ? (
    <Text wrap="truncate-end">
      {drill.node ? `Failover drill (${drill.what ?? `stop ${drill.node}'s apiserver`}, check the endpoint): ` : 'Failover drill: '}
      {drill.on ? (
        <>
          <Text color={tone('yellow')} bold>
            on
          </Text>
          {' · d: remove it'}
        </>
      ) : drill.node ? (
        'off · d: add it'
      ) : (
        'off (needs two control-plane nodes)'
      )}
    </Text>
  ) : null;
  if (expanded) {
    return (
      <Box flexDirection="column">
        {header}
        <Text bold wrap="truncate-end">
          Step {expanded.index + 1}/{steps.length} {expanded.id}: {expanded.title} <RiskBadge risk={expanded.risk} />
        </Text>
        <ScrolledLines
          lines={stepDetailLines(expanded)}
          scroll={p.scroll}
          rows={rows - 2 - extraRows}
          columns={columns}
          highlight={q && !q.editing && q.hits[q.at]?.step === expanded.index ? q.hits[q.at]!.line : null}
          keys="←→ other steps · / search · Esc back"
        />
        {searchLine}
        {confirm}
      </Box>
    );
  }
  // The header, the summary (it may wrap), the reference and drill lines, the keys or the confirmation.
  const summaryRows = Math.ceil(p.preview.summary.line.length / Math.max(1, columns));
  const ponrRow = ponrIndex >= 0 ? 1 : 0;
  const room = Math.max(3, rows - 1 - summaryRows - (refLine ? 1 : 0) - (drillLine ? 1 : 0) - (confirm ? 3 + (p.error ? 1 : 0) : 1) - (searchLine ? 1 : 0) - ponrRow);
  const first = Math.max(0, Math.min(p.cursor - Math.floor(room / 2), steps.length - room));
  return (
    <Box flexDirection="column">
      {header}
      {steps.slice(first, first + room).map((s) => {
        const i = s.index;
        const focused = i === p.cursor;
        const hosts = p.summary.steps[i]?.hosts ?? [];
        return (
          <Box key={s.id} flexDirection="column">
            {i === ponrIndex ? (
              <Text color={tone('red')} bold>
                ── point of no easy return: from here on, rollback is not an exact reverse ──
              </Text>
            ) : null}
            <Text wrap="truncate-end">
              <Text color={focused ? tone('cyan') : undefined}>{focused ? '› ' : '  '}</Text>
              {String(i + 1).padStart(2)}. {s.id.padEnd(26)} <RiskBadge risk={s.risk} /> {s.entries.length} action(s) on {hosts.length > 3 ? `${hosts.length} hosts` : hosts.join(', ')}
            </Text>
          </Box>
        );
      })}
      <Text bold wrap="wrap">
        {p.preview.summary.line}
      </Text>
      {refLine}
      {drillLine}
      {searchLine}
      {confirm ?? <Text wrap="truncate-end">Enter: a step&apos;s actions · /: search · a: approve · Esc: back · q: quit, changing nothing</Text>}
    </Box>
  );
}
