// Manifests from files: YAML streams (several documents) and JSON, `kind: List` expanded into its
// items, empty documents skipped. A document that does not parse, or is not a Kubernetes object,
// fails the whole render with the file and document named: nothing is applied half.

import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../machinery/object.js';

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

function expand(doc: unknown, where: string, out: KubeObject[]): void {
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ManifestError(`${where}: not a Kubernetes object (a YAML mapping with apiVersion and kind)`);
  }
  const obj = doc as KubeObject;
  if (
    typeof obj.kind === 'string' &&
    obj.kind.endsWith('List') &&
    Array.isArray((obj as { items?: unknown }).items)
  ) {
    const items = (obj as unknown as { items: unknown[] }).items;
    for (let i = 0; i < items.length; i++) expand(items[i], `${where} item ${i}`, out);
    return;
  }
  if (typeof obj.apiVersion !== 'string' || !obj.apiVersion || typeof obj.kind !== 'string' || !obj.kind) {
    throw new ManifestError(`${where}: Object 'Kind' is missing or apiVersion is not set`);
  }
  if (!obj.metadata || typeof obj.metadata !== 'object') obj.metadata = {};
  if (!obj.metadata.name && !obj.metadata.generateName) {
    throw new ManifestError(`${where}: ${obj.kind} has no metadata.name`);
  }
  out.push(obj);
}

/** The objects of one file's text; `file` names it in errors. */
export function parseManifests(text: string, file: string): KubeObject[] {
  const out: KubeObject[] = [];
  if (file.endsWith('.json')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new ManifestError(`${file}: invalid JSON: ${(err as Error).message}`);
    }
    expand(doc, file, out);
    return out;
  }
  const docs = parseAllDocuments(text);
  docs.forEach((d, i) => {
    const where = docs.length > 1 ? `${file} (document ${i + 1})` : file;
    if (d.errors.length > 0) {
      throw new ManifestError(`${where}: invalid YAML: ${d.errors[0]!.message.split('\n')[0]}`);
    }
    expand(d.toJS(), where, out);
  });
  return out;
}
