// Hashes the controllers put in names and labels, printed as the decimal digits of a 32-bit FNV
// hash mapped onto Kubernetes' "safe" alphabet (no vowels, no look-alike characters):
// - controller.ComputeHash (pod-template-hash of a Deployment's ReplicaSets, DaemonSet revisions):
//   FNV-1a of the template (here its canonical JSON) then the collision count as 8 bytes (a
//   little-endian uint32 and four zeros);
// - history.HashControllerRevision (StatefulSet revisions): FNV-1 of the revision's data then the
//   collision count in decimal.

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const encoder = new TextEncoder();

export function fnv32a(bytes: Uint8Array, seed = FNV32_OFFSET): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV32_PRIME);
  }
  return h >>> 0;
}

/** FNV-1 (multiply, then xor), as Go's fnv.New32. */
export function fnv32(bytes: Uint8Array, seed = FNV32_OFFSET): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h = Math.imul(h, FNV32_PRIME);
    h ^= bytes[i]!;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each character replaced by one of the safe alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/**
 * A JSON value as Kubernetes' semantic equality sees it: null members, empty lists and empty
 * objects are the same as absent ones (a template sent with "creationTimestamp": null, or
 * "resources": {}, is the template without them). Returns undefined for a value that is empty.
 */
export function semanticValue(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.map((v) => semanticValue(v) ?? null);
  }
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  let empty = true;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const n = semanticValue(v);
    if (n === undefined) continue;
    out[k] = n;
    empty = false;
  }
  return empty ? undefined : out;
}

/** JSON.stringify, with the characters Go's json.Marshal escapes (<, >, &, U+2028, U+2029) escaped. */
function goJsonString(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * JSON as Go's json.Marshal writes a map: object keys sorted at every level, undefined members
 * left out, HTML characters escaped.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return goJsonString(value);
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    if (obj[key] === undefined) continue;
    parts.push(`${goJsonString(key)}:${canonicalJson(obj[key])}`);
  }
  return `{${parts.join(',')}}`;
}

/** controller.ComputeHash: the hash of an object (a pod template) and a collision count. */
export function computeHash(value: unknown, collisionCount?: number): string {
  let h = fnv32a(encoder.encode(canonicalJson(semanticValue(value) ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const buf = new Uint8Array(8);
    new DataView(buf.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(buf, h);
  }
  return safeEncodeString(String(h));
}

/** history.HashControllerRevision: the hash of a revision's data and an optional collision count. */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  let h = fnv32(encoder.encode(canonicalJson(data)));
  if (collisionCount !== undefined && collisionCount !== null)
    h = fnv32(encoder.encode(String(collisionCount)), h);
  return safeEncodeString(String(h));
}
