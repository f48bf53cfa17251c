// An image reference in the parts an imageOverrider changes (Karmada's imageparser):
// [registry[:port]/]repository[:tag][@digest]. The registry is the first path component when it
// looks like a host (has a '.' or ':', or is "localhost"); "nginx" has none.

import { parseQualifiedName } from '@swimlane/docker-reference';
import type { ImageOverrider } from '../../apis/karmada/index.js';

export interface ImageParts {
  registry: string;
  repository: string;
  tag: string;
  digest: string;
}

const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** Splits an image; throws for a reference that does not parse. */
export function parseImage(image: string): ImageParts {
  const ref = parseQualifiedName(image);
  const name = ref.domain ? `${ref.domain}/${ref.repository}` : (ref.repository ?? '');
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isHost = slash >= 0 && (/[.:]/.test(first) || first === 'localhost');
  return {
    registry: isHost ? first : '',
    repository: isHost ? name.slice(slash + 1) : name,
    // A tag wins over a digest written beside it, as Karmada reads references.
    tag: ref.tag ?? '',
    digest: ref.tag ? '' : (ref.digest ?? ''),
  };
}

export function formatImage(p: ImageParts): string {
  const name = p.registry ? `${p.registry}/${p.repository}` : p.repository;
  if (p.tag) return `${name}:${p.tag}`;
  if (p.digest) return `${name}@${p.digest}`;
  return name;
}

/** The image after one overrider: add appends to the component, replace sets it, remove clears it. */
export function overrideImage(image: string, o: ImageOverrider): string {
  const p = parseImage(image);
  const value = o.value ?? '';
  switch (o.component) {
    case 'Registry':
      p.registry = o.operator === 'add' ? p.registry + value : o.operator === 'replace' ? value : '';
      break;
    case 'Repository':
      p.repository = o.operator === 'add' ? p.repository + value : o.operator === 'replace' ? value : '';
      break;
    case 'Tag': {
      if (o.operator === 'remove') {
        if (p.tag) p.tag = '';
        else p.digest = '';
        break;
      }
      const next = o.operator === 'add' ? (p.tag || p.digest) + value : value;
      if (TAG.test(next)) {
        p.tag = next;
        p.digest = '';
      } else if (DIGEST.test(next)) {
        p.digest = next;
        p.tag = '';
      }
      break;
    }
  }
  return formatImage(p);
}
