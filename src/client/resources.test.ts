import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinResources } from '../apiserver/kinds/builtin.js';
import type { KubeObject } from '../machinery/object.js';
import type { HttpsClient } from './https.js';
import { builtinRef, resources } from './resources.js';
import { NoKindMatchError, RESTMapper } from './rest-mapper.js';
import { startTestCluster, type TestCluster } from './support.testing.js';

describe('resources', () => {
  it('has a ResourceRef for every built-in resource the server serves, and no other', () => {
    const served = builtinResources.map((r) => ({
      group: r.group,
      version: r.version,
      resource: r.resource,
      kind: r.kind,
      namespaced: r.namespaced,
    }));
    const ours = Object.values(resources).map((r) => ({ ...r }));
    const byResource = (a: { group: string; resource: string }, b: { group: string; resource: string }) =>
      `${a.group}/${a.resource}`.localeCompare(`${b.group}/${b.resource}`);
    expect(ours.sort(byResource)).toEqual(served.sort(byResource));
  });

  it('looks built-in kinds up by apiVersion and kind', () => {
    expect(builtinRef('apps/v1', 'Deployment')).toBe(resources.deployments);
    expect(builtinRef('v1', 'Namespace')).toBe(resources.namespaces);
    expect(builtinRef('apps/v1beta1', 'Deployment')).toBeUndefined();
  });
});

const widgetCRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

describe('RESTMapper', () => {
  let cluster: TestCluster;
  let https: HttpsClient;
  beforeAll(async () => {
    cluster = await startTestCluster('rest-mapper');
    https = cluster.https();
  });
  afterAll(async () => {
    https.close();
    await cluster.close();
  });

  it('maps custom resources from discovery once their CRD is served (aggregated and legacy discovery)', async () => {
    const aggregated = new RESTMapper(cluster.inProcess);
    // Legacy discovery: a client that only accepts plain JSON gets APIGroupList and APIResourceList.
    let legacyPaths: string[] = [];
    const legacy = new RESTMapper({
      discover: (path) => {
        legacyPaths.push(path);
        return https.getRaw(path, 'application/json');
      },
    });
    await expect(aggregated.refFor('example.com/v1', 'Widget')).rejects.toThrow(NoKindMatchError);
    await expect(aggregated.refFor('example.com/v1', 'Widget')).rejects.toThrow(
      'no matches for kind "Widget" in version "example.com/v1"',
    );

    await cluster.inProcess.create(resources.customresourcedefinitions, widgetCRD);
    const want = {
      group: 'example.com',
      version: 'v1',
      resource: 'widgets',
      kind: 'Widget',
      namespaced: true,
    };
    await expect
      .poll(() => aggregated.refFor('example.com/v1', 'Widget').catch((e: Error) => e.name))
      .toEqual(want);
    legacyPaths = [];
    expect(await legacy.refFor('example.com/v1', 'Widget')).toEqual(want);
    expect(legacyPaths).toEqual(['/apis', '/apis/example.com/v1']);
    // Known now: no more discovery.
    legacyPaths = [];
    expect(await legacy.refFor('example.com/v1', 'Widget')).toEqual(want);
    expect(legacyPaths).toEqual([]);
    // Built-in kinds need no discovery at all.
    expect(await legacy.refFor('apps/v1', 'StatefulSet')).toBe(resources.statefulsets);
    expect(legacyPaths).toEqual([]);
    await expect(legacy.refFor('nowhere.example/v1', 'Thing')).rejects.toThrow(NoKindMatchError);
  });
});
