/** Where the config tests find the repository, the built CLI and the fixtures (they are not copied to dist). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/config/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const fixtures = join(repoRoot, 'test', 'config', 'fixtures');
/** The CLI built next to this test (dist/ or an engineer's own --outDir), never another build's. */
export const cliPath = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
