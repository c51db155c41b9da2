/**
 * The JSON Schema of the config file, for editors (yaml-language-server) and other tools.
 * Generated from the zod schema, so it cannot drift; `assets/ha-wizard.schema.json` is this output,
 * checked by a test.
 */
import * as z from 'zod';
import { ClusterConfigSchema } from './schema.js';

/** Where the shipped schema lives, for the `# yaml-language-server: $schema=…` line of generated files. */
export const SCHEMA_FILE = 'assets/ha-wizard.schema.json';

export function configJsonSchema(): Record<string, unknown> {
  // io 'input': fields with defaults are optional, as they are in the file.
  return z.toJSONSchema(ClusterConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The exact text `ha-wizard schema` prints and the asset holds. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
