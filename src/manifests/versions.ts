/**
 * Versions as the cluster states them: image tags in the static pod manifests. Nothing here guesses a
 * version; callers pass what discovery read, and unknown formats are rejected by the caller's schema.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** "v1.31.4", "1.31.4", "3.5.15-0", "v1.34.0-rc.1" → {major, minor, patch}; null when not a version. */
export function parseVersion(text: string): Version | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Whether `text` is at least `min` ("1.29", "3.6.0"); false when `text` is not a version. */
export function atLeast(text: string, min: string): boolean {
  const v = parseVersion(text);
  const parts = min.split('.').map(Number);
  if (!v) return false;
  return compareVersions(v, { major: parts[0] ?? 0, minor: parts[1] ?? 0, patch: parts[2] ?? 0 }) >= 0;
}

/**
 * The tag of an image reference, without a digest: "registry.k8s.io/etcd:3.5.15-0" → "3.5.15-0".
 * A registry port ("host:5000/etcd") is not a tag: the tag is after the last '/'.
 */
export function imageTag(image: string): string | null {
  const noDigest = image.split('@')[0] ?? '';
  const last = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const i = last.lastIndexOf(':');
  return i < 0 ? null : last.slice(i + 1) || null;
}

/** "v1.31.4" → "1.31.4"; "3.5.15-0" → "3.5.15" (kubeadm's etcd images carry a "-N" build suffix). */
export function versionFromImage(image: string): string | null {
  const tag = imageTag(image);
  const v = tag === null ? null : parseVersion(tag);
  return v ? `${v.major}.${v.minor}.${v.patch}` : null;
}

/** "1.31" of "1.31.4". */
export function minorOf(version: string): string {
  const v = parseVersion(version);
  return v ? `${v.major}.${v.minor}` : version;
}
