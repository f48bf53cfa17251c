import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDefinitions, clientNodeClassNames, definitionNameFromMangled } from './model-source.js';

describe('definitionNameFromMangled', () => {
  it('turns the mangled prefix back into the dotted package', () => {
    expect(definitionNameFromMangled('IoK8sApiAppsV1DeploymentSpec', 'DeploymentSpec')).toBe(
      'io.k8s.api.apps.v1.DeploymentSpec',
    );
    expect(definitionNameFromMangled('IoK8sApimachineryPkgApisMetaV1ObjectMeta', 'ObjectMeta')).toBe(
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    );
    expect(definitionNameFromMangled('IoK8sApiAdmissionregistrationV1beta1Webhook', 'Webhook')).toBe(
      'io.k8s.api.admissionregistration.v1beta1.Webhook',
    );
    expect(definitionNameFromMangled('IoK8sApimachineryPkgApisMetaV1APIResource', 'APIResource')).toBe(
      'io.k8s.apimachinery.pkg.apis.meta.v1.APIResource',
    );
  });

  it('puts back the dash of packages whose import path has one', () => {
    expect(
      definitionNameFromMangled(
        'IoK8sApiextensionsApiserverPkgApisApiextensionsV1CustomResourceDefinition',
        'CustomResourceDefinition',
      ),
    ).toBe('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition');
    expect(
      definitionNameFromMangled('IoK8sKubeAggregatorPkgApisApiregistrationV1APIService', 'APIService'),
    ).toBe('io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService');
  });

  it('refuses a name that does not end with the kind', () => {
    expect(definitionNameFromMangled('IoK8sApiAppsV1Deployment', 'ReplicaSet')).toBeUndefined();
  });
});

describe('clientNodeClassNames', () => {
  it('tries the group-qualified name first, as client-node uses it when kinds clash', () => {
    expect(clientNodeClassNames('io.k8s.api.core.v1.Event')).toEqual(['CoreV1Event', 'V1Event']);
    expect(clientNodeClassNames('io.k8s.api.events.v1.Event')).toEqual(['EventsV1Event', 'V1Event']);
    expect(clientNodeClassNames('io.k8s.api.batch.v1beta1.CronJob')).toEqual([
      'BatchV1beta1CronJob',
      'V1beta1CronJob',
    ]);
    expect(clientNodeClassNames('io.k8s.apimachinery.pkg.api.resource.Quantity')).toEqual([]);
  });
});

describe('buildDefinitions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'models-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'v1'));
  writeFileSync(
    join(dir, 'v1/Gadget.d.ts'),
    `import { IIoK8sApiCoreV1Part } from "./Part";
/**
 * Gadget is a kind.
 */
export interface IGadget extends TypeMeta {
    "apiVersion": "v1";
    "kind": "Gadget";
    /**
     * How many.
     */
    "size": number;
    "parts"?: Array<IIoK8sApiCoreV1Part>;
    /**
     * The main part.
     */
    "main"?: IIoK8sApiCoreV1Part;
    "spare"?: {
        "apiVersion"?: string;
        "kind"?: string;
        "name"?: string;
    };
    "blob"?: string;
}
export { IGadget as IIoK8sApiCoreV1Gadget, Gadget as IoK8sApiCoreV1Gadget };
`,
  );
  writeFileSync(
    join(dir, 'v1/Part.d.ts'),
    `/**
 * Part of a gadget.
 */
export interface IPart extends TypeMeta {
    "apiVersion": "v1";
    "kind": "Part";
    "name"?: string;
}
export { IPart as IIoK8sApiCoreV1Part, Part as IoK8sApiCoreV1Part };
`,
  );
  const clientNodeModels = new Map([
    [
      'V1Gadget',
      [
        { baseName: 'size', type: 'number', format: 'int64' },
        { baseName: 'blob', type: 'string', format: 'byte' },
      ],
    ],
  ]);
  const { definitions, warnings } = buildDefinitions({ modelDirs: [dir], clientNodeModels });
  const gadget = definitions['io.k8s.api.core.v1.Gadget']!;
  const props = gadget.properties as Record<string, Record<string, unknown>>;

  it('publishes fields, required fields, formats and the kind', () => {
    expect(gadget.description).toBe('Gadget is a kind.');
    expect(gadget.required).toEqual(['size']);
    expect(props.size).toEqual({ description: 'How many.', type: 'integer', format: 'int64' });
    expect(props.blob).toEqual({ type: 'string', format: 'byte' });
    expect(gadget['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Gadget' }]);
  });

  it('refers to other definitions, wrapping a described reference in allOf', () => {
    expect(props.parts).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Part' },
    });
    expect(props.main).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Part' }],
      description: 'The main part.',
    });
  });

  it('turns an inlined kind back into a reference to its definition', () => {
    expect(props.spare).toEqual({ $ref: '#/components/schemas/io.k8s.api.core.v1.Part' });
  });

  it('describes apiVersion and kind as optional strings, not literals', () => {
    expect(props.apiVersion).toMatchObject({ type: 'string' });
    expect(props.apiVersion!.enum).toBeUndefined();
  });

  it('adds the definitions the packages lack and reports what it guessed', () => {
    expect(definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Table']).toBeDefined();
    // The tiny package has no ObjectMeta, so the Table supplement dangles; the generator says so.
    expect(warnings.some((w) => w.includes('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta'))).toBe(true);
  });
});
