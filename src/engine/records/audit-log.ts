/**
 * The session's audit log: one JSON line per remote command and file write, with host, redacted argv,
 * exit code and duration. It is for the operator reading what happened, so it is written as things
 * happen (no fsync: the journal is the record the engine relies on).
 */
import { appendFileSync } from 'node:fs';
import type { Hosts } from '../model/ports.js';
import type { ExecOptions, RemoteHost, WriteOptions } from '../model/remote-host.js';
import { redactArgv, redactText } from '../model/secrets.js';

export function auditLine(path: string, entry: Record<string, unknown>): void {
  appendFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`, { mode: 0o600 });
}

function audited(host: RemoteHost, path: string): RemoteHost {
  return {
    name: host.name,
    address: host.address,
    async exec(argv: readonly string[], opts?: ExecOptions) {
      const t0 = performance.now();
      const shown = redactArgv(argv, opts?.redact);
      try {
        const r = await host.exec(argv, opts);
        auditLine(path, { host: host.name, op: 'exec', argv: shown, code: r.code, signal: r.signal, ms: Math.round(performance.now() - t0) });
        return r;
      } catch (err) {
        auditLine(path, { host: host.name, op: 'exec', argv: shown, error: redactText((err as Error).message, opts?.redact), ms: Math.round(performance.now() - t0) });
        throw err;
      }
    },
    readFile: (p: string) => host.readFile(p),
    stat: (p: string) => host.stat(p),
    sha256: (p: string) => host.sha256(p),
    async writeFileAtomic(p: string, data: Buffer | string, opts: WriteOptions) {
      const t0 = performance.now();
      try {
        await host.writeFileAtomic(p, data, opts);
        auditLine(path, { host: host.name, op: 'write', path: p, mode: `0${opts.mode.toString(8)}`, bytes: Buffer.byteLength(data), ms: Math.round(performance.now() - t0) });
      } catch (err) {
        auditLine(path, { host: host.name, op: 'write', path: p, error: (err as Error).message, ms: Math.round(performance.now() - t0) });
        throw err;
      }
    },
    forwardOut: (h: string, port: number) => host.forwardOut(h, port),
    close: () => host.close(),
  };
}

/** Hosts whose every command and write lands in the audit log. */
export function auditedHosts(hosts: Hosts, auditPath: string): Hosts {
  const cache = new Map<string, Promise<RemoteHost>>();
  return {
    get(name: string) {
      let h = cache.get(name);
      if (!h) {
        h = hosts.get(name).then((raw) => audited(raw, auditPath));
        cache.set(name, h);
        h.catch(() => cache.delete(name));
      }
      return h;
    },
  };
}
