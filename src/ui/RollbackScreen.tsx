import { Box, Text } from 'ink';
import type { WizardState } from '../wizard/model.js';
import { rollbackPreviewLines } from '../reporters/rollback-preview-text.js';
import { ScrolledLines } from './ScrolledLines.js';
import { TextField } from './TextField.js';
import { useTone } from './use-color.js';

/**
 * The rollback review: what the rollback would undo, per step and host (files with their diffs against what is there
 * now, undo commands, etcd members removed, objects restored), the same preview `ha-wizard rollback` prints; then the
 * cluster's name typed to start it.
 */
export function RollbackScreen({ state, rows, columns }: { state: WizardState; rows: number; columns: number }) {
  const tone = useTone();
  const r = state.rollback;
  if (!r) return null;
  const p = r.preview;
  const ponr = p.pointOfNoReturn.length > 0;
  const members = p.summary.etcdMembersRemoved;
  const confirm =
    r.confirm !== null ? (
      <Box flexDirection="column">
        <Text bold wrap="wrap">
          {ponr ? `This crosses the point of no easy return${members.length ? ` (etcd ${members.length === 1 ? 'member' : 'members'} ${members.join(', ')} ${members.length === 1 ? 'is' : 'are'} removed)` : ''}. ` : ''}Type &apos;{p.cluster}&apos; to roll back, Esc to cancel:
        </Text>
        <Text>
          <Text color={tone('cyan')}>› </Text>
          <TextField value={r.confirm} cursor={state.cursor} />
        </Text>
        {r.error ? <Text color={tone('red')}>{r.error}</Text> : null}
      </Box>
    ) : null;
  const title = `What will be undone: roll back session ${r.session} of cluster ${p.cluster}${r.to ? `, keeping ${r.to} and the steps before it` : ''}`;
  const confirmRows = confirm ? 2 + Math.ceil(120 / Math.max(1, columns)) + (r.error ? 1 : 0) : 1;
  return (
    <Box flexDirection="column">
      <Text bold wrap="wrap">
        {title}
      </Text>
      <ScrolledLines lines={rollbackPreviewLines(p)} scroll={r.scroll} rows={rows - Math.ceil(title.length / Math.max(1, columns)) - confirmRows} columns={columns} keys="a: roll back (type the name) · Esc back" />
      {confirm ?? (
        <Text wrap="truncate-end">
          a: roll back, after typing &apos;{p.cluster}&apos; · Esc: back, changing nothing · q: quit
        </Text>
      )}
    </Box>
  );
}
