// Field paths as Kubernetes prints them in validation errors: `spec.containers[0].image`,
// `metadata.labels[app]`. Plain strings, built one step at a time.

/** `parent.name`, or just `name` at the root. */
export function childPath(parent: string, ...names: string[]): string {
  let out = parent;
  for (const name of names) out = out === '' ? name : `${out}.${name}`;
  return out;
}

/** `parent[i]`: an element of a list. */
export function indexPath(parent: string, i: number): string {
  return `${parent}[${i}]`;
}

/** `parent[key]`: an entry of a map. */
export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}
