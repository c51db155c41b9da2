/**
 * IP address parsing and formatting with Go's semantics (net.ParseIP / IP.String), because SAN
 * lists, dedupe and x509 messages must read exactly as kubeadm and kubectl print them.
 */

/** 4 bytes for IPv4, 16 for IPv6; null when `text` is not an IP literal. Leading zeros in IPv4 are read as decimal (netutils.ParseIPSloppy). */
export function parseIP(text: string): Uint8Array | null {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIPv6(s: string): Uint8Array | null {
  if (s.includes('%')) return null;
  let tail: Uint8Array | null = null;
  let text = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4) takes the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail = parseIPv4(text.slice(lastColon + 1));
    if (!tail) return null;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const total = head.length + rest.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const all = [...head, ...Array<string>(8 - total).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** Go's IP.String(): dotted quad for IPv4 and IPv4-mapped IPv6, RFC 5952 for the rest. */
export function formatIP(ip: Uint8Array): string {
  if (ip.length === 4) return Array.from(ip).join('.');
  if (ip.length !== 16) throw new Error(`not an IP address (${ip.length} bytes)`);
  const mapped = ip.slice(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  if (mapped) return Array.from(ip.slice(12)).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((ip[i * 2]! << 8) | ip[i * 2 + 1]!);
  // The longest run of two or more zero groups becomes "::" (first one wins on a tie).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number) => g.toString(16);
  if (bestStart < 0) return groups.map(hex).join(':');
  const left = groups.slice(0, bestStart).map(hex).join(':');
  const right = groups.slice(bestStart + bestLen).map(hex).join(':');
  return `${left}::${right}`;
}

/** The canonical text of an IP literal, or null when it is not one. */
export function canonicalIP(text: string): string | null {
  const ip = parseIP(text);
  return ip ? formatIP(ip) : null;
}

/** Equal addresses, treating IPv4 and its IPv4-mapped IPv6 form as the same (Go's IP.Equal). */
export function ipEqual(a: Uint8Array, b: Uint8Array): boolean {
  const norm = (ip: Uint8Array) => (ip.length === 4 ? Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip]) : ip);
  const x = norm(a);
  const y = norm(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * The `index`-th address of a CIDR (k8s.io/utils/net GetIndexedIP): the network address plus index.
 * The host bits of the written address are ignored, as net.ParseCIDR does.
 */
export function indexedIP(cidr: string, index: number): string {
  const slash = cidr.indexOf('/');
  if (slash < 0) throw new Error(`invalid CIDR address: ${cidr}`);
  const ip = parseIP(cidr.slice(0, slash));
  const prefixText = cidr.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!ip || !/^\d+$/.test(prefixText) || prefix > ip.length * 8) throw new Error(`invalid CIDR address: ${cidr}`);
  const bits = ip.length * 8;
  if (bits - prefix < 53 && BigInt(index) >= 1n << BigInt(bits - prefix)) {
    throw new Error(`can't generate IP with index ${index} from subnet ${cidr}: subnet too small`);
  }
  let value = 0n;
  for (const b of ip) value = (value << 8n) | BigInt(b);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  value = (value & mask) + BigInt(index);
  const out = new Uint8Array(ip.length);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return formatIP(out);
}
