import { describe, expect, it } from 'vitest';
import { deleteOptionsBody, listQuery, resourcePath, watchQuery, writeQuery } from './paths.js';
import { resources } from './resources.js';
import { collectionTarget, objectTarget } from './target.js';

describe('resource paths', () => {
  it('lays out core, grouped, namespaced and cluster-scoped resources and subresources', () => {
    expect(resourcePath(resources.pods, collectionTarget(resources.pods, undefined))).toBe('/api/v1/pods');
    expect(resourcePath(resources.pods, collectionTarget(resources.pods, 'ns'))).toBe(
      '/api/v1/namespaces/ns/pods',
    );
    expect(resourcePath(resources.pods, objectTarget(resources.pods, 'p', 'ns', 'status'))).toBe(
      '/api/v1/namespaces/ns/pods/p/status',
    );
    expect(
      resourcePath(resources.deployments, objectTarget(resources.deployments, 'web', 'prod', 'scale')),
    ).toBe('/apis/apps/v1/namespaces/prod/deployments/web/scale');
    expect(
      resourcePath(
        resources.clusterroles,
        objectTarget(resources.clusterroles, 'system:controller:x', undefined),
      ),
    ).toBe('/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acontroller%3Ax');
    // The namespace object itself is cluster-scoped.
    expect(
      resourcePath(
        resources.namespaces,
        objectTarget(resources.namespaces, 'kube-system', 'ignored', 'finalize'),
      ),
    ).toBe('/api/v1/namespaces/kube-system/finalize');
  });

  it('builds query strings without empty values', () => {
    expect(listQuery({ labelSelector: 'app in (a,b)', limit: 500, continue: '' })).toBe(
      '?labelSelector=app+in+%28a%2Cb%29&limit=500',
    );
    expect(listQuery({})).toBe('');
    expect(watchQuery({ resourceVersion: '42', allowWatchBookmarks: true, timeoutSeconds: 300 })).toBe(
      '?watch=true&resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=300',
    );
    expect(writeQuery({ dryRun: true, fieldManager: 'me', force: false })).toBe(
      '?dryRun=All&fieldManager=me&force=false',
    );
    expect(
      deleteOptionsBody({ propagationPolicy: 'Foreground', dryRun: true, preconditions: { uid: 'u' } }),
    ).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Foreground',
      preconditions: { uid: 'u' },
      dryRun: ['All'],
    });
  });
});
