// Image references and container ids as a container runtime reports them in container statuses:
// the image fully qualified ("nginx:1.27" -> "docker.io/library/nginx:1.27"), an imageID with a
// digest, and a containerd container id. Digests and ids are derived from their inputs, so the
// same container instance always reports the same id (a restarted kubelet reports what it
// reported before).

import { createHash } from 'node:crypto';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The registry domain of a reference, if its first component is one (has a dot or port, or is localhost). */
function hasDomain(ref: string): boolean {
  const slash = ref.indexOf('/');
  if (slash < 0) return false;
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

/** docker.io-normalized reference with a tag (":latest" when none) or its digest. */
export function normalizeImage(image: string): string {
  let ref = image.trim();
  if (!hasDomain(ref)) ref = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  if (!ref.slice(lastSlash + 1).includes(':')) ref = `${ref}:latest`;
  return ref;
}

// Pods of one template share their image: ids are remembered (a bounded number of them).
const ids = new Map<string, string>();
const MAX_REMEMBERED = 4096;

/** "repo@sha256:..." for the image, as imageID. */
export function imageID(image: string): string {
  let id = ids.get(image);
  if (id === undefined) {
    id = computeImageID(image);
    if (ids.size >= MAX_REMEMBERED) ids.clear();
    ids.set(image, id);
  }
  return id;
}

function computeImageID(image: string): string {
  const normalized = normalizeImage(image);
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized;
  const lastSlash = normalized.lastIndexOf('/');
  const colon = normalized.indexOf(':', lastSlash + 1);
  const repo = colon >= 0 ? normalized.slice(0, colon) : normalized;
  return `${repo}@sha256:${sha256(`image:${normalized}`)}`;
}

/** The id of one instance of a container (a restart is a new instance). */
export function containerID(podUID: string, container: string, restartCount: number): string {
  return `containerd://${sha256(`container:${podUID}/${container}/${restartCount}`)}`;
}
