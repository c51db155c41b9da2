/** Go-style `--name=value` / `--name value` / `--bool` flags: the agent's own, and the kubelet's in kubeadm-flags.env. */
export class Flags {
  private readonly values = new Map<string, string[]>();

  constructor(argv: string[]) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (!a.startsWith('-')) continue;
      const body = a.replace(/^--?/, '');
      const eq = body.indexOf('=');
      let name: string;
      let value: string;
      if (eq >= 0) {
        name = body.slice(0, eq);
        value = body.slice(eq + 1);
      } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) {
        name = body;
        value = argv[++i]!;
      } else {
        name = body;
        value = 'true';
      }
      const list = this.values.get(name) ?? [];
      list.push(value);
      this.values.set(name, list);
    }
  }

  get(name: string): string | undefined {
    const v = this.values.get(name);
    return v?.[v.length - 1];
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  require(name: string): string {
    const v = this.get(name);
    if (v === undefined || v === '') throw new Error(`flag --${name} is required`);
    return v;
  }
}
