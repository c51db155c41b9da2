/**
 * Test fixtures: CAs made by the openssl CLI (the independent judge), and a stand-in transport:
 * in-memory files per host and forwardOut dialling 127.0.0.1 with net.connect.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Hosts } from '../../src/engine/model/ports.js';
import { RemoteError, type RemoteHost } from '../../src/engine/model/remote-host.js';

export function openssl(args: string[], opts: { cwd?: string; input?: string } = {}): string {
  return execFileSync('openssl', args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export type CaKind = 'rsa-pkcs1' | 'ec-p256' | 'ec-p384' | 'rsa-pkcs8';

export interface TempCA {
  dir: string;
  certPem: string;
  keyPem: string;
  certFile: string;
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `haw-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A CA like kubeadm's: CN as given, CA:TRUE critical, keyUsage with keyCertSign, SKI. */
export function makeCA(dir: string, kind: CaKind, cn = 'kubernetes', name = 'ca'): TempCA {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  if (kind === 'rsa-pkcs1') openssl(['genrsa', '-traditional', '-out', key, '2048']);
  else if (kind === 'rsa-pkcs8') openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
  else openssl(['ecparam', '-name', kind === 'ec-p256' ? 'prime256v1' : 'secp384r1', '-genkey', '-noout', '-out', key]);
  openssl([
    'req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`, '-days', '3650', '-out', crt,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
    '-addext', 'subjectKeyIdentifier=hash',
  ]);
  return { dir, certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8'), certFile: crt };
}

export function writeTemp(dir: string, name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** A RemoteHost over an in-memory file map; forwardOut dials 127.0.0.1:port whatever the address. */
export class FakeHost implements RemoteHost {
  readonly files = new Map<string, Buffer>();
  readonly dialled: Array<{ host: string; port: number }> = [];
  constructor(
    readonly name: string,
    readonly address = '127.0.0.1',
  ) {}
  put(path: string, data: string | Buffer): this {
    this.files.set(path, Buffer.from(data));
    return this;
  }
  async exec(): Promise<never> {
    throw new RemoteError(`${this.name}: exec not available in the fake`, this.name);
  }
  async readFile(path: string): Promise<Buffer> {
    const f = this.files.get(path);
    if (!f) throw new RemoteError(`${this.name}: read ${path}: no such file`, this.name, 'ENOENT');
    return Buffer.from(f);
  }
  async stat(path: string) {
    const f = this.files.get(path);
    return f ? { exists: true, mode: 0o600, size: f.length } : { exists: false };
  }
  async sha256(): Promise<string | null> {
    return null;
  }
  async writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
    this.put(path, data);
  }
  forwardOut(host: string, port: number): Promise<Duplex> {
    this.dialled.push({ host, port });
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }
  async close(): Promise<void> {}
}

export function fakeHosts(...hosts: FakeHost[]): Hosts {
  const map = new Map(hosts.map((h) => [h.name, h]));
  return {
    async get(name: string) {
      const h = map.get(name);
      if (!h) throw new Error(`unknown host ${name}`);
      return h;
    },
  };
}

/** The base64 body of a PEM, to check that no error message carries it (or a slice of it). */
export function pemBodySlices(pem: string): string[] {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const out: string[] = [];
  for (let i = 0; i + 24 <= body.length; i += 24) out.push(body.slice(i, i + 24));
  return out;
}
