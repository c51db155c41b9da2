/** Where the config tests find the repository, the built CLI and the fixtures (they are not copied to dist). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/config/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const fixtures = join(repoRoot, 'test', 'config', 'fixtures');
export const cliPath = join(repoRoot, 'dist', 'src', 'cli.js');
