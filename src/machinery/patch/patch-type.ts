// The four kinds of PATCH and their media types, shared by the API server (which decodes the
// Content-Type and lists the accepted types in OpenAPI) and the clients (which send them).
// Custom resources have no strategic merge metadata, so they take every type but that one.

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** The media type a client sends for each patch type. */
export const patchContentTypes: Readonly<Record<PatchType, string>> = {
  json: JSON_PATCH,
  merge: MERGE_PATCH,
  strategic: STRATEGIC_MERGE_PATCH,
  apply: APPLY_PATCH,
};

/** What built-in kinds accept, in the order Kubernetes' OpenAPI lists them. */
export const PATCH_MEDIA_TYPES: readonly string[] = [
  APPLY_PATCH,
  JSON_PATCH,
  MERGE_PATCH,
  STRATEGIC_MERGE_PATCH,
];

/** What custom resources accept: no strategic merge patch, which needs Go struct tags. */
export const CUSTOM_PATCH_MEDIA_TYPES: readonly string[] = PATCH_MEDIA_TYPES.filter(
  (t) => t !== STRATEGIC_MERGE_PATCH,
);

/** The patch type of a Content-Type (parameters and case ignored); undefined for any other. */
export function patchTypeForMediaType(contentType: string | undefined): PatchType | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  for (const [patchType, media] of Object.entries(patchContentTypes)) {
    if (media === type) return patchType as PatchType;
  }
  return undefined;
}
