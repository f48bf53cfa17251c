import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../../machinery/object.js';
import { admit, type Doc, newObject } from '../test-support.js';
import { clusterClassStrategy } from './clusterclass-strategy.js';

const QUICK_START =
  '/work/shared/fixtures/cluster-api/test/infrastructure/docker/templates/clusterclass-quick-start.yaml';
const ref = (kind: string, name: string, apiVersion = 'infrastructure.cluster.x-k8s.io/v1beta1') => ({
  ref: { apiVersion, kind, name },
});

function clusterClass(spec: Record<string, unknown>): KubeObject {
  return newObject('cluster.x-k8s.io/v1beta1', 'ClusterClass', 'cc', {
    infrastructure: ref('DockerClusterTemplate', 'cluster'),
    controlPlane: ref('KubeadmControlPlaneTemplate', 'cp', 'controlplane.cluster.x-k8s.io/v1beta1'),
    ...spec,
  });
}

describe('ClusterClass', () => {
  it("accepts Cluster API's quick-start class, its references defaulted to the class's namespace", async () => {
    const docs = parseAllDocuments(await readFile(QUICK_START, 'utf8')).map((d) => d.toJS() as KubeObject);
    const cc = docs.find((d) => d.kind === 'ClusterClass')!;
    cc.metadata.namespace = 'ns';
    const { obj, errors } = admit(clusterClassStrategy, cc);
    expect(errors).toEqual([]);
    const spec = obj.spec as Doc;
    expect(spec.infrastructure.ref.namespace).toBe('ns');
    expect(spec.controlPlane.machineInfrastructure.ref.namespace).toBe('ns');
    expect(spec.workers.machinePools[0].template.infrastructure.ref.namespace).toBe('ns');
  });

  it('needs <Kind>Template references in its own namespace, unique classes, a machine template for a control plane health check', () => {
    const cc = clusterClass({
      infrastructure: {
        ref: {
          apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
          kind: 'DockerCluster',
          name: '',
          namespace: 'other',
        },
      },
      controlPlane: {
        ...ref('KubeadmControlPlaneTemplate', 'cp'),
        machineHealthCheck: { maxUnhealthy: '10%' },
      },
      workers: {
        machineDeployments: [
          {
            class: 'w',
            template: {
              bootstrap: ref('KubeadmConfigTemplate', 'b'),
              infrastructure: ref('DockerMachineTemplate', 'i'),
            },
          },
          {
            class: 'w',
            template: {
              bootstrap: ref('KubeadmConfigTemplate', 'b'),
              infrastructure: ref('DockerMachineTemplate', 'i'),
            },
          },
        ],
      },
    });
    expect(admit(clusterClassStrategy, cc).errors).toEqual([
      'spec.infrastructure.ref.name: Required value: template name must be defined',
      'spec.infrastructure.ref.namespace: Invalid value: "other": template must be in the same namespace as the ClusterClass (ns)',
      'spec.infrastructure.ref.kind: Invalid value: "DockerCluster": template kind must be of form "<name>Template"',
      'spec.workers.machineDeployments[1].class: Invalid value: "w": MachineDeployment class must be unique. MachineDeployment with class "w" is defined more than once',
      'spec.controlPlane.machineHealthCheck.machineInfrastructure: Forbidden: can be set only if spec.controlPlane.machineInfrastructure is set',
    ]);
  });

  it('checks variables and patches the way Cluster API does', () => {
    const cc = clusterClass({
      variables: [
        { name: 'size', required: true, schema: { openAPIV3Schema: { type: 'string' } } },
        { name: 'size', required: false, schema: { openAPIV3Schema: { type: 'string' } } },
        { name: 'builtin', required: false, schema: { openAPIV3Schema: {} } },
      ],
      patches: [
        {
          name: 'p',
          definitions: [
            {
              selector: {
                apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
                kind: 'DockerClusterTemplate',
                matchResources: { infrastructureCluster: true },
              },
              jsonPatches: [
                { op: 'add', path: '/metadata/labels', value: {} },
                { op: 'add', path: '/spec/template/spec/x', valueFrom: { variable: 'missing' } },
                {
                  op: 'replace',
                  path: '/spec/template/spec/list/2',
                  value: 1,
                  valueFrom: { variable: 'size' },
                },
                { op: 'add', path: '/spec/template/spec/y', valueFrom: { variable: 'builtin.cluster.name' } },
                { op: 'add', path: '/spec/template/spec/z', valueFrom: { variable: 'builtin.nothing' } },
              ],
            },
            {
              selector: { apiVersion: 'v1', kind: 'ConfigMap', matchResources: { controlPlane: true } },
              jsonPatches: [{ op: 'remove', path: '/spec/a' }],
            },
          ],
        },
        { name: 'p' },
      ],
    });
    expect(admit(clusterClassStrategy, cc).errors).toEqual([
      'spec.variables[size].name: Invalid value: "size": variable name must be unique. Variable with name "size" is defined more than once',
      'spec.variables[builtin].name: Invalid value: "builtin": "builtin" is a reserved variable name',
      'spec.variables[builtin].schema.openAPIV3Schema.type: Required value: type cannot be empty; must be one of object, array, string, number, integer, boolean',
      'spec.patches[0].definitions[0].jsonPatches[0].path: Invalid value: "/metadata/labels": jsonPatch path must start with "/spec/"',
      'spec.patches[0].definitions[0].jsonPatches[1].valueFrom.variable: Invalid value: "missing": variable with name missing cannot be found',
      'spec.patches[0].definitions[0].jsonPatches[2].path: Invalid value: "/spec/template/spec/list/2": elements in arrays can not be accessed in a replace operation',
      expect.stringMatching(
        /^spec\.patches\[0\]\.definitions\[0\]\.jsonPatches\[2\]: Invalid value: .*jsonPatch can not define both value and valueFrom$/,
      ),
      'spec.patches[0].definitions[0].jsonPatches[4].valueFrom.variable: Invalid value: "builtin.nothing": not a defined builtin variable',
      'spec.patches[0].definitions[1].selector.matchResources.controlPlane: Invalid value: true: selector is enabled but matches neither the controlPlane ref nor the controlPlane machineInfrastructure ref',
      'spec.patches[1].name: Invalid value: "p": patch names must be unique. Patch with name "p" is defined more than once',
      'spec.patches[1]: Required value: one of definitions or external must be defined',
    ]);
  });
});
