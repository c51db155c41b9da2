/**
 * zod schemas for a saved plan file. Plans are read from disk and may have been edited or truncated,
 * so every field is checked against the closed set of actions in actions.ts before anything runs.
 * The `satisfies` clauses keep these schemas and the TypeScript types from drifting apart.
 */
import { z } from 'zod';
import type { Action, CertSpec, Content, ObjectEdit, ObjectRef, Probe } from './actions.js';
import type { StepInfo } from './step.js';

const name = z.string().min(1);
const absPath = z.string().regex(/^\/\S*$/, 'must be an absolute path without spaces');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256)');
const mode = z.number().int().min(0).max(0o7777);
const risk = z.enum(['read-only', 'reversible', 'disruptive', 'point-of-no-easy-return']);
const argv = z.array(z.string()).min(1);

const certSpec = z.strictObject({
  ca: z.strictObject({ host: name, certPath: absPath, keyPath: absPath }),
  subject: z.strictObject({ commonName: name, organization: z.array(z.string()).optional() }),
  dnsNames: z.array(z.string()),
  ipAddresses: z.array(z.string()),
  usages: z.array(z.enum(['serverAuth', 'clientAuth'])),
  validityDays: z.number().int().positive(),
}) satisfies z.ZodType<CertSpec>;

export const contentSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('literal'), text: z.string() }),
  z.strictObject({ type: z.literal('private-key'), algorithm: name }),
  z.strictObject({ type: z.literal('certificate'), keyPath: absPath, spec: certSpec }),
  z.strictObject({ type: z.literal('copy'), fromHost: name, fromPath: absPath, sha256, sensitive: z.boolean() }),
  z.strictObject({
    type: z.literal('kubeconfig'),
    server: name,
    clusterName: name,
    userName: name,
    caHost: name,
    caCertPath: absPath,
    client: certSpec,
  }),
  z.strictObject({ type: z.literal('kubeconfig-server'), fromPath: absPath, server: name }),
]) satisfies z.ZodType<Content>;

export const probeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('command'), host: name, argv, stdoutIncludes: z.string().optional() }),
  z.strictObject({
    type: z.literal('https'),
    host: name,
    address: name,
    port: z.number().int().min(1).max(65535),
    path: z.string().startsWith('/'),
    caPath: absPath,
    serverName: name,
    clientCertPath: absPath.optional(),
    clientKeyPath: absPath.optional(),
    expectStatus: z.number().int().optional(),
  }),
  z.strictObject({ type: z.literal('file'), host: name, path: absPath, sha256: sha256.optional(), absent: z.boolean().optional() }),
]) satisfies z.ZodType<Probe>;

export const objectRefSchema = z.strictObject({
  apiVersion: name,
  kind: name,
  namespace: name.optional(),
  name,
}) satisfies z.ZodType<ObjectRef>;

const objectEdit = z.strictObject({
  path: z.array(z.string()).min(1),
  value: z.unknown().optional(),
  yamlPath: z.array(z.string()).min(1).optional(),
}) satisfies z.ZodType<ObjectEdit>;

const base = {
  id: name,
  step: name,
  description: z.string(),
  risk,
  pairedWith: name.optional(),
  gate: z.literal(true).optional(),
};

export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('write-file'), host: name, path: absPath, content: contentSchema, mode, owner: z.string().optional() }),
  z.strictObject({ ...base, type: z.literal('remove-file'), host: name, path: absPath }),
  z.strictObject({
    ...base,
    type: z.literal('run'),
    host: name,
    argv,
    undo: argv.optional(),
    probe: probeSchema.optional(),
    idempotent: z.boolean().optional(),
    retry: z
      .strictObject({
        timeoutMs: z.number().int().positive(),
        intervalMs: z.number().int().positive(),
        onlyIfStderrIncludes: z.array(z.string()).optional(),
        why: z.string().optional(),
      })
      .optional(),
    timeoutMs: z.number().int().positive().optional(),
    createsDirs: z.array(z.string().regex(/^\/[^\0]+$/)).optional(),
    measurement: name.optional(),
  }),
  z.strictObject({ ...base, type: z.literal('patch-object'), host: name, object: objectRefSchema, edits: z.array(objectEdit).min(1) }),
  z.strictObject({
    ...base,
    type: z.literal('wait'),
    probe: probeSchema,
    timeoutMs: z.number().int().positive(),
    intervalMs: z.number().int().positive(),
  }),
]) satisfies z.ZodType<Action>;

export const stepInfoSchema = z.strictObject({
  id: name,
  title: z.string(),
  description: z.string(),
  risk,
  parallelHosts: z.number().int().positive().optional(),
}) satisfies z.ZodType<StepInfo>;

export const planSchema = z.strictObject({
  formatVersion: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 hex digits'),
  createdAt: z.iso.datetime(),
  cluster: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS-1123 name'),
  factsFingerprint: z.string().min(1),
  session: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/).optional(),
  steps: z.array(stepInfoSchema),
  actions: z.array(actionSchema),
  /** sha256 (or null: absent) of every file the plan writes or removes, as seen when the plan was made ('host:path'). */
  observed: z.record(z.string(), sha256.nullable()).optional(),
});
