// Names Karmada's controllers derive from an object's identity, so that a Work or an attached
// binding made here has the name Karmada would give it: a 32-bit FNV-1a hash of a string, printed
// in decimal and spelt with the alphabet of apimachinery's rand.SafeEncodeString.

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits, of the string's UTF-8 bytes. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Every character mapped into an alphabet without vowels (no words by accident). */
export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHANUMS[ch.codePointAt(0)! % SAFE_ALPHANUMS.length];
  return out;
}

function hashSuffix(s: string): string {
  return safeEncode(String(fnv32a(s)));
}

/**
 * A Work's name: the resource's name (':' becomes '.', lower case) and a hash of its namespace,
 * name and kind, e.g. "nginx-687f7fb96f" for Deployment default/nginx.
 */
export function workName(kind: string, name: string, namespace?: string): string {
  const clean = name.replaceAll(':', '.').toLowerCase();
  const full = (namespace ? `${namespace}-${clean}-${kind}` : `${clean}-${kind}`).toLowerCase();
  return `${clean}-${hashSuffix(full)}`;
}

/** The short key of a binding in the labels of bindings attached to it. */
export function bindingReferenceKey(namespace: string | undefined, name: string): string {
  return hashSuffix(namespace ? `${namespace}/${name}` : name);
}
