import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../machinery/object.js';
import { fieldErrorMessage } from '../../../../machinery/status.js';
import { clusterStrategy, validateClusterName } from './strategy.js';

const now = new Date('2026-03-01T12:00:00Z');
const strategy = clusterStrategy({ now: () => now });

type Json = Record<string, unknown>;

function cluster(spec: Json, status?: Json): KubeObject {
  return {
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'member1', creationTimestamp: '2026-03-01T11:00:00Z' },
    spec,
    ...(status ? { status } : {}),
  };
}

function messages(obj: KubeObject): string[] {
  return strategy.validate!(obj).map((e) => fieldErrorMessage(e));
}

const MAX = '9223372036854775807';

describe('Cluster', () => {
  it('takes names that fit in karmada-es-<name>: DNS labels of at most 48 characters', () => {
    expect(validateClusterName('member-1', false)).toEqual([]);
    expect(validateClusterName('m'.repeat(48), false)).toEqual([]);
    expect(validateClusterName('m'.repeat(49), false)).toEqual(['must be no more than 48 characters']);
    expect(validateClusterName('Member.1', false)[0]).toMatch(/^a lowercase RFC 1123 label must consist of/);
  });

  it('gets the nine default resource model grades when it declares none', () => {
    const c = cluster({ syncMode: 'Push' });
    strategy.prepareForCreate!(c);
    const models = (c.spec as Json).resourceModels as Json[];
    expect(models).toHaveLength(9);
    expect(models[0]).toEqual({
      grade: 0,
      ranges: [
        { name: 'cpu', min: '0', max: '1' },
        { name: 'memory', min: '0', max: '4Gi' },
      ],
    });
    expect(models[2]).toEqual({
      grade: 2,
      ranges: [
        { name: 'cpu', min: '2', max: '4' },
        { name: 'memory', min: '16Gi', max: '32Gi' },
      ],
    });
    expect(models[7]).toEqual({
      grade: 7,
      ranges: [
        { name: 'cpu', min: '64', max: '128' },
        { name: 'memory', min: '512Gi', max: '1Ti' },
      ],
    });
    expect(models[8]).toEqual({
      grade: 8,
      ranges: [
        { name: 'cpu', min: '128', max: MAX },
        { name: 'memory', min: '1Ti', max: MAX },
      ],
    });
    expect(messages(c)).toEqual([]);
    // An update that leaves the models out gets them back.
    const emptied = cluster({ syncMode: 'Push' });
    strategy.prepareForUpdate!(emptied, c);
    expect((emptied.spec as Json).resourceModels).toEqual(models);
  });

  it('sorts declared models by grade, opens the first at 0 and the last at the maximum', () => {
    const c = cluster({
      syncMode: 'Pull',
      resourceModels: [
        { grade: 1, ranges: [{ name: 'cpu', min: '2', max: '8' }] },
        { grade: 0, ranges: [{ name: 'cpu', min: '1', max: '2' }] },
      ],
    });
    strategy.prepareForCreate!(c);
    expect((c.spec as Json).resourceModels).toEqual([
      { grade: 0, ranges: [{ name: 'cpu', min: '0', max: '2' }] },
      { grade: 1, ranges: [{ name: 'cpu', min: '2', max: MAX }] },
    ]);
    expect(messages(c)).toEqual([]);
  });

  it('refuses models with gaps, repeated grades or other resources', () => {
    const models = (ranges: Json[][]) =>
      cluster({ syncMode: 'Push', resourceModels: ranges.map((r, grade) => ({ grade, ranges: r })) });
    const gap = models([[{ name: 'cpu', min: '0', max: '2' }], [{ name: 'cpu', min: '3', max: MAX }]]);
    expect(messages(gap)).toEqual([
      'spec.resourceModels[1].ranges[0].min: Invalid value: "3": must equal the max of the previous grade: intervals are contiguous',
    ]);
    const other = models([[{ name: 'cpu', min: '0', max: '2' }], [{ name: 'memory', min: '2', max: MAX }]]);
    expect(messages(other)).toEqual([
      'spec.resourceModels[1].ranges[0].name: Invalid value: "memory": every model must list the same resources in order',
    ]);
    const repeated = cluster({
      syncMode: 'Push',
      resourceModels: [
        { grade: 1, ranges: [{ name: 'cpu', min: '0', max: '2' }] },
        { grade: 1, ranges: [{ name: 'cpu', min: '2', max: MAX }] },
      ],
    });
    expect(messages(repeated)).toEqual([
      'spec.resourceModels[1].grade: Invalid value: 1: grades of resource models must differ',
    ]);
  });

  it('moves a lone zone into zones, also when the same manifest is applied again', () => {
    const c = cluster({ syncMode: 'Push', zone: 'az-1' });
    strategy.applyDefaults!(c);
    expect(c.spec).toEqual({ syncMode: 'Push', zones: ['az-1'] });
    const again = cluster({ syncMode: 'Push', zone: 'az-1', zones: ['az-1'] });
    strategy.applyDefaults!(again);
    expect(again.spec).toEqual({ syncMode: 'Push', zones: ['az-1'] });
    const both = cluster({ syncMode: 'Push', zone: 'az-1', zones: ['az-2'] });
    strategy.applyDefaults!(both);
    expect(messages(both)).toEqual([
      'spec.zone: Invalid value: "az-1": zone and zones cannot both be set; use zones',
    ]);
  });

  it('stamps NoExecute taints with the time they were added, and only those', () => {
    const c = cluster({
      syncMode: 'Push',
      taints: [
        { key: 'cluster.karmada.io/not-ready', effect: 'NoExecute' },
        { key: 'dedicated', effect: 'NoSchedule' },
        { key: 'old', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
      ],
    });
    strategy.applyDefaults!(c);
    expect((c.spec as Json).taints).toEqual([
      { key: 'cluster.karmada.io/not-ready', effect: 'NoExecute', timeAdded: '2026-03-01T12:00:00Z' },
      { key: 'dedicated', effect: 'NoSchedule' },
      { key: 'old', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('validates the endpoint, the proxy, the location and the taints', () => {
    expect(messages(cluster({ syncMode: 'Push', apiEndpoint: 'https://10.10.10.10:6339' }))).toEqual([]);
    expect(
      messages(
        cluster({
          syncMode: 'Push',
          apiEndpoint: 'https://admin:secret@member1.example:6443/?x=1',
          proxyURL: 'ftp://proxy.example',
          region: 'eu west',
          zones: ['az-1', 'az 2'],
          taints: [
            { key: 'dedicated', effect: 'NoSchedule' },
            { key: 'dedicated', effect: 'NoSchedule' },
          ],
        }),
      ),
    ).toEqual([
      'spec.apiEndpoint: Invalid value: "https://admin:secret@member1.example:6443/?x=1": user information is not permitted in the URL',
      'spec.apiEndpoint: Invalid value: "https://admin:secret@member1.example:6443/?x=1": query parameters are not permitted in the URL',
      'spec.proxyURL: Invalid value: "ftp://proxy.example": unsupported scheme "ftp", must be http, https, or socks5',
      "spec.region: Invalid value: \"eu west\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      "spec.zones[1]: Invalid value: \"az 2\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      'spec.taints[1]: Duplicate value: {"key":"dedicated","effect":"NoSchedule"}: taints must be unique by key and effect pair',
    ]);
    expect(messages(cluster({ syncMode: 'Push', apiEndpoint: '10.0.0.1:6443' }))).toEqual([
      'spec.apiEndpoint: Invalid value: "10.0.0.1:6443": must be a valid URL; desired format: https://hostname, https://hostname:port, https://IP or https://IP:port',
    ]);
  });

  it('prints Karmada columns: Ready is Unknown until the first probe', () => {
    const fresh = cluster({ syncMode: 'Push', apiEndpoint: 'https://10.10.10.10:6339' });
    expect(strategy.table!.columns.map((c) => c.name)).toEqual([
      'Name',
      'Version',
      'Mode',
      'Ready',
      'Age',
      'Zones',
      'Region',
      'Provider',
      'API-Endpoint',
      'Proxy-URL',
    ]);
    expect(strategy.table!.cells(fresh, now)).toEqual([
      'member1',
      '',
      'Push',
      'Unknown',
      '60m',
      '<none>',
      '<none>',
      '<none>',
      'https://10.10.10.10:6339',
      '<none>',
    ]);
    const probed = cluster(
      { syncMode: 'Pull', zones: ['az-1', 'az-2'], region: 'eu-west-1', provider: 'aws' },
      { kubernetesVersion: 'v1.33.1', conditions: [{ type: 'Ready', status: 'False' }] },
    );
    expect(strategy.table!.cells(probed, now)).toEqual([
      'member1',
      'v1.33.1',
      'Pull',
      'False',
      '60m',
      'az-1,az-2',
      'eu-west-1',
      'aws',
      '',
      '<none>',
    ]);
  });

  it('is selectable by sync mode, provider and region', () => {
    expect(strategy.selectableFields!(cluster({ syncMode: 'Push', provider: 'aws' }))).toEqual({
      'spec.syncMode': 'Push',
      'spec.provider': 'aws',
      'spec.region': '',
    });
  });
});
