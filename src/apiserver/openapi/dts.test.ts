import { describe, expect, it } from 'vitest';
import { DtsParseError, jsDocText, parseDtsFile } from './dts.js';

const FILE = `import { IIoK8sApiCoreV1PodTemplateSpec } from "../../v1/PodTemplateSpec";
import { ModelData, TypeMeta, Model } from "@kubernetes-models/base";
/**
 * Widget is a made-up kind.
 *
 * Second paragraph.
 */
export interface IWidget extends TypeMeta {
    "apiVersion": "example.io/v1";
    /**
     * Number of widgets.
     */
    "count"?: number;
    /**
     * Protocol for port.
     *
     * Possible enum values:
     *  - \`"TCP"\` is the TCP protocol.
     */
    "protocol"?: "SCTP" | "TCP" | "UDP";
    "kind": "Widget";
    "labels"?: {
        [key: string]: string;
    };
    "templates": Array<IIoK8sApiCoreV1PodTemplateSpec>;
    "modes"?: Array<"A" | "B">;
    "inline"?: Array<{
        "name"?: string;
    }>;
}
export declare class Widget extends Model<IWidget> implements IWidget {
    "apiVersion": IWidget["apiVersion"];
    constructor(data?: ModelData<IWidget>);
}
export { IWidget as IIoExampleV1Widget, Widget as IoExampleV1Widget };
`;

describe('parseDtsFile', () => {
  const parsed = parseDtsFile(FILE, 'Widget.d.ts');
  const widget = parsed.declarations.find((d) => d.localName === 'IWidget')!;

  it('reads the interface, its exported mangled name and its description', () => {
    expect(parsed.declarations.map((d) => d.localName)).toEqual(['IWidget']);
    expect(widget.exportedName).toBe('IIoExampleV1Widget');
    expect(widget.extendsTypeMeta).toBe(true);
    expect(widget.description).toBe('Widget is a made-up kind.\n\nSecond paragraph.');
    expect(parsed.imports).toEqual(['IIoK8sApiCoreV1PodTemplateSpec']);
  });

  it('reads optional markers, descriptions and every kind of field type', () => {
    const byName = Object.fromEntries(widget.members!.map((m) => [m.name, m]));
    expect(byName.count).toMatchObject({
      optional: true,
      description: 'Number of widgets.',
      type: { kind: 'number' },
    });
    expect(byName.templates).toMatchObject({
      optional: false,
      type: { kind: 'array', items: { kind: 'ref', name: 'IIoK8sApiCoreV1PodTemplateSpec' } },
    });
    expect(byName.protocol!.type).toEqual({ kind: 'literal', values: ['SCTP', 'TCP', 'UDP'] });
    expect(byName.protocol!.description).toBe(
      'Protocol for port.\n\nPossible enum values:\n - `"TCP"` is the TCP protocol.',
    );
    expect(byName.labels!.type).toEqual({ kind: 'map', values: { kind: 'string' } });
    expect(byName.modes!.type).toEqual({ kind: 'array', items: { kind: 'literal', values: ['A', 'B'] } });
    expect(byName.inline!.type).toEqual({
      kind: 'array',
      items: { kind: 'object', members: [{ name: 'name', optional: true, type: { kind: 'string' } }] },
    });
    expect(byName.apiVersion!.type).toEqual({ kind: 'literal', values: ['example.io/v1'] });
  });

  it('reads type aliases of scalar definitions', () => {
    const alias = parseDtsFile(
      '/**\n * Time is a timestamp.\n */\nexport declare type ITime = string;\nexport declare type Time = ITime;\n' +
        'export { ITime as IIoK8sApimachineryPkgApisMetaV1Time, Time as IoK8sApimachineryPkgApisMetaV1Time };\n',
    );
    expect(alias.declarations[0]).toMatchObject({
      localName: 'ITime',
      exportedName: 'IIoK8sApimachineryPkgApisMetaV1Time',
      description: 'Time is a timestamp.',
      alias: { kind: 'string' },
    });
  });

  it('names the file and line of what it cannot read', () => {
    expect(() => parseDtsFile('export interface IBroken {\n    "a": ;\n}\n', 'Broken.d.ts')).toThrow(
      DtsParseError,
    );
    expect(() => parseDtsFile('export interface IBroken {\n    "a": ;\n}\n', 'Broken.d.ts')).toThrow(
      /Broken\.d\.ts:2/,
    );
  });
});

describe('jsDocText', () => {
  it('keeps paragraphs and indentation after the leading star', () => {
    expect(jsDocText('/**\n * a\n *\n *  - b\n */')).toBe('a\n\n - b');
  });
});
