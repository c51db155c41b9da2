/**
 * The root of the ink tree: the one and only input handler (ink 6 hangs when useInput components are
 * swapped, ink#943), the screen for the current state, the message line and the footer. Screens are pure
 * renderings of the WizardState; every key becomes an intent for the controller.
 */
import { Box, Text, useApp, useInput, useStdin, useStdout } from 'ink';
import { useEffect } from 'react';
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
  execute: 'Apply',
  failure: 'Failed',
  done: 'Done',
};
const ORDER: Screen[] = ['welcome', 'connect', 'discovery', 'plan', 'execute', 'done'];

function Header({ screen }: { screen: Screen }) {
  const tone = useTone();
  const at = ORDER.indexOf(screen === 'form' ? 'welcome' : screen === 'failure' ? 'execute' : screen === 'resume' ? 'welcome' : screen);
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

function Body({ state, rows, still }: { state: WizardState; rows: number; still: boolean }) {
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
      return <PlanScreen state={state} rows={rows} />;
    case 'execute':
      return <ExecuteScreen state={state} rows={rows} still={still} />;
    case 'failure':
      return <FailureScreen state={state} rows={rows} />;
    case 'done':
      return <DoneScreen state={state} rows={rows} />;
  }
}

function Root({ controller, size, still = false }: Omit<AppProps, 'color'>) {
  const state = useWizardState(controller);
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const tone = useTone();
  // A pty that was never given a size (some serial consoles, `script` without a window) reports 0: 80x24 then.
  const columns = size?.columns ?? (stdout.columns || 80);
  const rows = size?.rows ?? (stdout.rows || 24);
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
  return (
    <Box flexDirection="column" width={columns}>
      <Header screen={state.screen} />
      {state.help ? <HelpOverlay /> : <Body state={state} rows={rows} still={still} />}
      {state.busy ? <Spinner label={state.busy} still={still} /> : null}
      {state.message ? (
        <Text color={tone(state.message.kind === 'error' ? 'red' : 'green')} wrap="wrap">
          {state.message.text}
        </Text>
      ) : null}
      <Footer screen={state.screen} />
    </Box>
  );
}

export function App({ color = true, ...rest }: AppProps) {
  return (
    <ColorContext.Provider value={color}>
      <Root {...rest} />
    </ColorContext.Provider>
  );
}
