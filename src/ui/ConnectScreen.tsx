import { Box, Text } from 'ink';
import type { HostConnState, WizardState } from '../wizard/model.js';
import { TextField } from './TextField.js';
import { useTone } from './use-color.js';

const MARK: Record<HostConnState, string> = { waiting: '·', connecting: '…', connected: '✓', failed: '✗' };
const COLOR: Record<HostConnState, string> = { waiting: 'gray', connecting: 'cyan', connected: 'green', failed: 'red' };

/** Screen 2: per-host connection state, first-contact host keys, the sudo password (masked). */
export function ConnectScreen({ state, rows }: { state: WizardState; rows: number }) {
  const tone = useTone();
  const c = state.connect;
  const room = Math.max(3, rows - 9);
  const failed = c.hosts.filter((h) => h.state === 'failed');
  // Failed hosts first when they do not all fit, so the reason is on screen.
  const hosts = c.hosts.length > room ? [...failed, ...c.hosts.filter((h) => h.state !== 'failed')].slice(0, room) : c.hosts;
  return (
    <Box flexDirection="column">
      <Text bold>
        Connecting to {c.hosts.length} host(s) over SSH ({c.hosts.filter((h) => h.state === 'connected').length} connected)
      </Text>
      {hosts.map((h) => (
        <Text key={h.name} wrap="truncate-end">
          <Text color={tone(COLOR[h.state])}>{MARK[h.state]}</Text> {h.name.padEnd(12)} {h.address.padEnd(16)} {h.role.padEnd(14)}
          {h.state === 'failed' ? <Text color={tone('red')}>{h.detail}</Text> : h.state}
        </Text>
      ))}
      {c.hosts.length > hosts.length ? <Text color={tone('gray')}>… and {c.hosts.length - hosts.length} more</Text> : null}
      {c.hostKey ? (
        <Box flexDirection="column" marginTop={1} borderStyle="round" paddingX={1}>
          <Text bold>First contact with {c.hostKey.host}</Text>
          <Text>
            It offers a {c.hostKey.keyType} host key with fingerprint {c.hostKey.fingerprint}
          </Text>
          {c.hostKey.note ? <Text>{c.hostKey.note}</Text> : null}
          <Text>Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the host. Trust it and record it in known_hosts? (y/n)</Text>
        </Box>
      ) : null}
      {c.password ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>
            sudo on {c.password.host} needs the password of {c.password.user} (asked once, kept in memory only):
          </Text>
          <Text>
            <Text color={tone('cyan')}>› </Text>
            <TextField value={c.password.value} cursor={state.cursor} mask="•" />
          </Text>
        </Box>
      ) : null}
      {c.done && failed.length ? <Text color={tone('yellow')}>r retry · e edit the config · q quit</Text> : null}
    </Box>
  );
}
