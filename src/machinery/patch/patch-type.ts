// The PATCH content types and which resources accept which: built-in kinds take all four,
// custom resources have no strategic merge metadata, so the API server refuses that type for
// them with a 415 listing what it does accept (as Kubernetes does).

import { ApiError } from '../status.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

export type PatchContentType =
  | typeof JSON_PATCH
  | typeof MERGE_PATCH
  | typeof STRATEGIC_MERGE_PATCH
  | typeof APPLY_PATCH;

/** What built-in kinds accept, in the order Kubernetes lists them. */
export const BUILTIN_PATCH_TYPES: readonly PatchContentType[] = [
  JSON_PATCH,
  MERGE_PATCH,
  STRATEGIC_MERGE_PATCH,
  APPLY_PATCH,
];

/** What custom resources accept: no strategic merge patch. */
export const CUSTOM_RESOURCE_PATCH_TYPES: readonly PatchContentType[] = [
  JSON_PATCH,
  MERGE_PATCH,
  APPLY_PATCH,
];

/** The patch types a resource accepts; `strategicMerge` is false for custom resources. */
export function supportedPatchTypes(opts: { strategicMerge: boolean }): readonly PatchContentType[] {
  return opts.strategicMerge ? BUILTIN_PATCH_TYPES : CUSTOM_RESOURCE_PATCH_TYPES;
}

/** The content type of a request without parameters (`; charset=utf-8`), lower-cased. */
export function patchContentType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The 415 for a patch type the resource does not accept (e.g. strategic merge on a custom resource). */
export function unsupportedPatchType(accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}
