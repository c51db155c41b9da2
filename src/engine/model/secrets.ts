/**
 * Recognising secret material, so it can be refused in plans and kept out of previews, journals and logs.
 * The plan is built so that it never holds secrets; these checks are the belt to that suspender.
 */

const SECRET_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/,
  /\bclient-key-data:\s*\S/,
  /^\s*token:\s*\S/m,
  /\bpassword:\s*\S/i,
];

/** Whether text looks like it holds a private key, an embedded client key, a token or a password. */
export function looksSecret(text: string): boolean {
  return SECRET_PATTERNS.some((re) => re.test(text));
}

/** The first place in a JSON-able value whose string looks secret, as a path (`actions[3].content.text`), or null. */
export function findSecret(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return looksSecret(value) ? path || '(value)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findSecret(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = findSecret(v, path ? `${path}.${k}` : k);
      if (hit) return hit;
    }
  }
  return null;
}

/** Flags whose value is secret wherever they appear in a command line (kubeadm, etcdctl, curl). */
const SECRET_FLAGS = ['--token', '--password', '--certificate-key', '--discovery-token', '--bootstrap-token'];

/**
 * argv as it may be shown or logged: values of secret flags and the given strings replaced by `***`.
 * `--discovery-token-ca-cert-hash` is a public hash and stays visible.
 */
export function redactArgv(argv: readonly string[], secrets: readonly string[] = []): string[] {
  const out: string[] = [];
  let hideNext = false;
  for (const arg of argv) {
    if (hideNext) {
      out.push('***');
      hideNext = false;
      continue;
    }
    const flag = SECRET_FLAGS.find((f) => (arg === f || arg.startsWith(`${f}=`)) && !arg.startsWith('--discovery-token-ca-cert-hash'));
    if (flag && arg === flag) {
      out.push(arg);
      hideNext = true;
    } else if (flag) {
      out.push(`${flag}=***`);
    } else {
      out.push(redactText(arg, secrets));
    }
  }
  return out;
}

/** Replaces each secret string in text by `***`, and blanks out PEM private key blocks. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '(private key redacted)');
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/** Shell-like rendering of argv for humans: quotes only what needs it. */
export function showArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
