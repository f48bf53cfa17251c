import { describe, expect, it } from 'vitest';
import { resourceKey, resourcePrefix } from './keys.js';

describe('resource keys', () => {
  it('places namespaced and cluster-scoped objects under their resource', () => {
    expect(resourceKey({ group: 'apps', resource: 'deployments', namespace: 'web', name: 'api' })).toBe(
      '/registry/apps/deployments/web/api',
    );
    expect(resourceKey({ group: '', resource: 'namespaces', name: 'web' })).toBe(
      '/registry/core/namespaces/web',
    );
  });

  it('never lets one namespace prefix match another that starts the same', () => {
    const a = resourcePrefix('', 'pods', 'a');
    expect(resourceKey({ group: '', resource: 'pods', namespace: 'ab', name: 'x' }).startsWith(a)).toBe(
      false,
    );
    expect(resourceKey({ group: '', resource: 'pods', namespace: 'a', name: 'x' }).startsWith(a)).toBe(true);
  });
});
