/**
 * The root of the ink tree: the one and only input handler (ink 6 hangs when useInput components are
 * swapped, ink#943), the screen for the current state, the message line and the footer. Screens are pure
 * renderings of the WizardState; every key becomes an intent for the controller.
 */
import { Box, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import { ViewportContext } from './viewport.js';
import type { Viewport } from '../wizard/model.js';
import type { Intent, Screen, WizardState } from '../wizard/model.js';
import { textInputActive } from '../wizard/reducer.js';
import { ConnectScreen } from './ConnectScreen.js';
import { DiscoveryScreen } from './DiscoveryScreen.js';
import { DoneScreen } from './DoneScreen.js';
import { ExecuteScreen } from './ExecuteScreen.js';
import { FailureScreen } from './FailureScreen.js';
import { Footer } from './Footer.js';
import { FormScreen } from './FormScreen.js';
import { HelpOverlay } from './HelpOverlay.js';
import { resolveKey } from './keymap.js';
import { PlanScreen } from './PlanScreen.js';
import { ResumeScreen } from './ResumeScreen.js';
import { RollbackScreen } from './RollbackScreen.js';
import { Spinner } from './Spinner.js';
import { ColorContext, useTone } from './use-color.js';
import { useWizardState } from './use-controller.js';
import { WelcomeScreen } from './WelcomeScreen.js';

export interface AppController {
  subscribe(l: () => void): () => void;
  getState(): WizardState;
  intent(i: Intent): void;
}

export interface AppProps {
  controller: AppController;
  /** Terminal size override (tests); default: the real stdout, 80x24 when unknown. */
  size?: { columns: number; rows: number };
  color?: boolean;
  /** No animation (spinners, clocks): for tests and recordings. */
  still?: boolean;
}

const TITLE: Record<Screen, string> = {
  resume: 'Session in progress',
  welcome: 'Welcome',
  form: 'Cluster',
  connect: 'Connect',
  discovery: 'Discovery and preflight',
  plan: 'Plan review',
  rollback: 'Rollback review',
  execute: 'Apply',
  failure: 'Failed',
  done: 'Done',
};
const ORDER: Screen[] = ['welcome', 'connect', 'discovery', 'plan', 'execute', 'done'];

function Header({ screen }: { screen: Screen }) {
  const tone = useTone();
  const at = ORDER.indexOf(screen === 'form' ? 'welcome' : screen === 'failure' || screen === 'rollback' ? 'execute' : screen === 'resume' ? 'welcome' : screen);
  return (
    <Text wrap="truncate-end">
      <Text bold color={tone('magenta')}>
        ha-wizard
      </Text>
      {'  '}
      {ORDER.map((s, i) => (
        <Text key={s} color={i === at ? tone('cyan') : tone('gray')} bold={i === at}>
          {i ? ' › ' : ''}
          {i === at ? TITLE[screen] : TITLE[s]}
        </Text>
      ))}
    </Text>
  );
}

function Body({ state, rows, columns, still }: { state: WizardState; rows: number; columns: number; still: boolean }) {
  switch (state.screen) {
    case 'resume':
      return <ResumeScreen state={state} />;
    case 'welcome':
      return <WelcomeScreen state={state} rows={rows} />;
    case 'form':
      return <FormScreen state={state} rows={rows} />;
    case 'connect':
      return <ConnectScreen state={state} rows={rows} />;
    case 'discovery':
      return <DiscoveryScreen state={state} rows={rows} />;
    case 'plan':
      return <PlanScreen state={state} rows={rows} columns={columns} />;
    case 'rollback':
      return <RollbackScreen state={state} rows={rows} columns={columns} />;
    case 'execute':
      return <ExecuteScreen state={state} rows={rows} still={still} />;
    case 'failure':
      return <FailureScreen state={state} rows={rows} />;
    case 'done':
      return <DoneScreen state={state} rows={rows} columns={columns} />;
  }
}

function Root({ controller, size, still = false }: Omit<AppProps, 'color'>) {
  const state = useWizardState(controller);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const tone = useTone();
  // A pty that was never given a size (some serial consoles, `script` without a window) reports 0: 80x24 then.
  const measure = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [measured, setMeasured] = useState(measure);
  useEffect(() => {
    if (size) return;
    // A resize redraws at once, on a cleared screen: the old frame, reflowed by the terminal to the new width, would
    // otherwise stay above the new one (ink erases only as many rows as it wrote).
    const onResize = () => {
      if (stdout.isTTY) stdout.write('\u001b[2J\u001b[H');
      setMeasured(measure());
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, size]);
  const columns = size?.columns ?? measured.columns;
  // One row is kept free below the frame: a frame as tall as the terminal makes ink redraw it whole on every change,
  // and leaves the cursor (and the shell's prompt, after exit) on the key-hint line.
  const rows = (size?.rows ?? measured.rows) - 1;
  useInput(
    (input, key) => {
      for (const intent of resolveKey({ ...key, input }, state.screen, textInputActive(state))) controller.intent(intent);
    },
    // undefined on a pipe: Boolean() or useInput would try raw mode and crash (research/cli-ux.md §1.6).
    { isActive: Boolean(isRawModeSupported) },
  );
  useEffect(() => {
    if (state.exit) exit();
  }, [state.exit, exit]);
  const onViewport = useCallback((v: Viewport) => controller.intent({ type: 'viewport', ...v }), [controller]);
  // The body gets what the header, the spinner, the message and the footer leave: every screen fits the terminal.
  const messageRows = state.message ? state.message.text.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / Math.max(1, columns))), 0) : 0;
  const bodyRows = Math.max(4, rows - 2 - (state.busy ? 1 : 0) - messageRows);
  return (
    <ViewportContext.Provider value={onViewport}>
    <Box flexDirection="column" width={columns}>
      <Header screen={state.screen} />
      {state.help ? <HelpOverlay screen={state.screen} /> : <Body state={state} rows={bodyRows} columns={columns} still={still} />}
      {state.busy ? <Spinner label={state.busy} still={still} /> : null}
      {state.message ? (
        <Text color={tone(state.message.kind === 'error' ? 'red' : 'green')} wrap="wrap">
          {state.message.text}
        </Text>
      ) : null}
      <Footer screen={state.screen} />
    </Box>
    </ViewportContext.Provider>
  );
}

export function App({ color = true, ...rest }: AppProps) {
  return (
    <ColorContext.Provider value={color}>
      <Root {...rest} />
    </ColorContext.Provider>
  );
}
