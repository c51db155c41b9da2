/** Go-style `--name=value` / `--name value` / `--bool` flags, as the manifests' `command` lists carry them. */
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

/** Parses `registry.k8s.io/kube-apiserver:v1.31.0` into the /version answer. */
export function versionInfo(image: string | undefined): Record<string, string> {
  const tag = /:v?(\d+)\.(\d+)\.(\d+)/.exec(image ?? '') ?? ['', '1', '31', '0'];
  return {
    major: tag[1]!,
    minor: tag[2]!,
    emulationMajor: tag[1]!,
    emulationMinor: tag[2]!,
    minCompatibilityMajor: tag[1]!,
    minCompatibilityMinor: String(Math.max(0, Number(tag[2]) - 1)),
    gitVersion: `v${tag[1]}.${tag[2]}.${tag[3]}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** One line per event on stdout, which the node agent sends to /var/log/<component>.log. */
export function log(...parts: unknown[]): void {
  process.stdout.write(`${new Date().toISOString()} ${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}\n`);
}
