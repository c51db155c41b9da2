/**
 * Static pod manifests as kubeadm writes them, edited in place. A node's manifest is derived from the
 * master's (so the operator's customisations carry over) by changing only node-specific values; the YAML
 * document is edited rather than rebuilt so key order, quoting and style stay as kubeadm wrote them and a
 * later `kubeadm upgrade` diff shows nothing surprising.
 */
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, YAMLSeq } from 'yaml';
import { z } from 'zod';
import { BadInputError } from '../exit-codes.js';

const probeSchema = z.object({ httpGet: z.object({ host: z.string().optional(), port: z.union([z.number(), z.string()]), path: z.string().optional() }).optional() }).optional();

/** The part of a static pod the wizard relies on; everything else is carried over untouched. */
export const staticPodSchema = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Pod'),
  metadata: z.object({
    name: z.string(),
    namespace: z.string().optional(),
    annotations: z.record(z.string(), z.string()).nullish(),
    labels: z.record(z.string(), z.string()).nullish(),
  }),
  spec: z.object({
    containers: z
      .array(
        z.object({
          name: z.string(),
          image: z.string(),
          command: z.array(z.string()).min(1),
          livenessProbe: probeSchema,
          readinessProbe: probeSchema,
          startupProbe: probeSchema,
        }),
      )
      .min(1),
  }),
});
export type StaticPodShape = z.infer<typeof staticPodSchema>;

export class StaticPod {
  private constructor(
    readonly component: string,
    private readonly doc: Document,
    private readonly indentSeq: boolean,
  ) {}

  /** Parses a manifest; a hand edit the wizard cannot follow is a BadInputError naming the file and the fix. */
  static parse(text: string, component: string): StaticPod {
    const where = `/etc/kubernetes/manifests/${component}.yaml`;
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length > 0) {
      throw new BadInputError(`${where} on the master is not valid YAML: ${doc.errors[0]!.message}`, `fix the manifest by hand (kubelet cannot run it either) and run the wizard again`);
    }
    const parsed = staticPodSchema.safeParse(doc.toJS());
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BadInputError(
        `${where} on the master is not a static pod the wizard understands: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
        `restore the manifest kubeadm wrote (kubeadm init phase control-plane/etcd) or fix the field by hand`,
      );
    }
    const command = parsed.data.spec.containers[0]!.command;
    const bad = command.slice(1).find((arg) => !/^--[A-Za-z0-9][A-Za-z0-9-]*(=|$)/.test(arg));
    if (bad !== undefined) {
      throw new BadInputError(
        `${where} on the master has the argument ${JSON.stringify(bad)}, which is not in kubeadm's --flag=value form`,
        `write it as --flag=value (kubeadm's form) so node-specific flags can be replaced safely`,
      );
    }
    // kubeadm (sigs.k8s.io/yaml) writes sequences flush with their parent key; keep whichever style the file has.
    const indentSeq = !/^( *)[^\s-][^\n]*:\n\1- /m.test(text);
    return new StaticPod(component, doc, indentSeq);
  }

  get shape(): StaticPodShape {
    return staticPodSchema.parse(this.doc.toJS());
  }

  clone(): StaticPod {
    return new StaticPod(this.component, this.doc.clone(), this.indentSeq);
  }

  get image(): string {
    return this.shape.spec.containers[0]!.image;
  }

  private commandSeq(): YAMLSeq {
    const seq = this.doc.getIn(['spec', 'containers', 0, 'command'], true);
    if (!isSeq(seq)) throw new Error(`${this.component}: spec.containers[0].command is not a list`);
    return seq;
  }

  /** Flags in order, `--name=value` → [name, value]; a bare `--name` has value ''. */
  flags(): Array<[string, string]> {
    return this.shape.spec.containers[0]!.command.slice(1).map((arg) => {
      const eq = arg.indexOf('=');
      return eq < 0 ? [arg.slice(2), ''] : [arg.slice(2, eq), arg.slice(eq + 1)];
    });
  }

  flag(name: string): string | undefined {
    return this.flags().find(([n]) => n === name)?.[1];
  }

  /** Replaces the flag's value in place, or inserts it where kubeadm's alphabetical order puts it. */
  setFlag(name: string, value: string): this {
    const seq = this.commandSeq();
    const text = `--${name}=${value}`;
    const index = seq.items.findIndex((item) => isScalar(item) && flagName(String(item.value)) === name);
    if (index >= 0) {
      (seq.items[index] as Scalar).value = text;
      return this;
    }
    let at = seq.items.length;
    for (let i = 1; i < seq.items.length; i++) {
      const item = seq.items[i];
      const other = isScalar(item) ? flagName(String(item.value)) : null;
      // kubeadm sorts by flag name (ArgumentsToCommand), so "initial-cluster" precedes "initial-cluster-state".
      if (other !== null && other > name) {
        at = i;
        break;
      }
    }
    seq.items.splice(at, 0, this.doc.createNode(text));
    return this;
  }

  removeFlag(name: string): this {
    const seq = this.commandSeq();
    seq.items = seq.items.filter((item, i) => i === 0 || !(isScalar(item) && flagName(String(item.value)) === name));
    return this;
  }

  annotation(key: string): string | undefined {
    return this.shape.metadata.annotations?.[key] ?? undefined;
  }

  setAnnotation(key: string, value: string): this {
    const annotations = this.doc.getIn(['metadata', 'annotations'], true);
    if (isMap(annotations)) annotations.set(key, value);
    else this.doc.setIn(['metadata', 'annotations'], this.doc.createNode({ [key]: value }));
    return this;
  }

  /** Sets httpGet.host of every probe whose host is `from` (kubeadm points the apiserver's probes at its advertise address). */
  replaceProbeHost(from: string, to: string): this {
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const host = this.doc.getIn(['spec', 'containers', 0, probe, 'httpGet', 'host']);
      if (host === from) this.doc.setIn(['spec', 'containers', 0, probe, 'httpGet', 'host'], to);
    }
    return this;
  }

  probeHosts(): string[] {
    const c = this.shape.spec.containers[0]!;
    return [c.livenessProbe, c.readinessProbe, c.startupProbe].flatMap((p) => (p?.httpGet?.host ? [p.httpGet.host] : []));
  }

  toString(): string {
    return this.doc.toString({ indentSeq: this.indentSeq, lineWidth: 0, minContentWidth: 0 });
  }
}

function flagName(arg: string): string | null {
  if (!arg.startsWith('--')) return null;
  const eq = arg.indexOf('=');
  return eq < 0 ? arg.slice(2) : arg.slice(2, eq);
}

/** The loopback of the address's family, as kubeadm picks it for etcd and the apiserver's etcd client. */
export function loopbackFor(address: string): string {
  return address.includes(':') ? '::1' : '127.0.0.1';
}

