// The Go template subset ClusterClass patches use, with the outputs Go's text/template and sprig give.

import { describe, expect, it } from 'vitest';
import { renderTemplate } from './gotemplate.js';

const data = {
  imageRepository: '',
  podSecurityStandard: { enabled: true, enforce: 'baseline' },
  builtin: { controlPlane: { version: 'v1.24.3+k3s1' }, cluster: { name: 'dev' } },
};

describe('renderTemplate', () => {
  it('looks up fields, calls functions and pipes values', () => {
    expect(renderTemplate('{{ .podSecurityStandard.enforce }}', data)).toBe('baseline');
    expect(renderTemplate('{{ ne .imageRepository "" }}', data)).toBe('false');
    expect(renderTemplate('{{ .podSecurityStandard.enabled }}', data)).toBe('true');
    expect(renderTemplate('kindest/node:{{ .builtin.controlPlane.version | replace "+" "_" }}', data)).toBe(
      'kindest/node:v1.24.3_k3s1',
    );
    expect(renderTemplate('{{ .missing }}', data)).toBe('<no value>');
  });

  it('takes {{ if }} branches, semverCompare included, and trims around {{- -}}', () => {
    const t = 'v1{{ if semverCompare "< v1.25" .builtin.controlPlane.version }}beta1{{ end }}';
    expect(renderTemplate(t, data)).toBe('v1beta1');
    expect(renderTemplate(t, { builtin: { controlPlane: { version: 'v1.33.0' } } })).toBe('v1');
    expect(renderTemplate('{{ if .imageRepository }}a{{ else }}b{{ end }}', data)).toBe('b');
    expect(renderTemplate('x  {{- .builtin.cluster.name -}}  y', data)).toBe('xdevy');
  });

  it('refuses what it does not know', () => {
    expect(() => renderTemplate('{{ nosuch .x }}', data)).toThrow('function "nosuch" not defined');
    expect(() => renderTemplate('{{ if .x }}a', data)).toThrow('missing {{ else or end }}');
  });
});
