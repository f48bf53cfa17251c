// The pure parts of GitOps: repository URLs compared as Argo CD compares them, the repositories a
// webhook payload names, Argo CD's two template syntaxes, and the health rules of core kinds.

import { describe, expect, it } from 'vitest';
import { resourceHealth } from './application/health.js';
import { flattenParams, renderFast, renderGo, renderTemplate } from './applicationset/template.js';
import { normalizeRepoURL, sameRepo } from './source/repo-url.js';
import { webhookRepoURLs } from './webhook.js';

describe('repository URLs', () => {
  it('treat .git, a trailing slash, the host case and scp-like ssh as one repository', () => {
    expect(
      sameRepo(
        'https://GitHub.com/argoproj/argocd-example-apps.git',
        'https://github.com/argoproj/argocd-example-apps/',
      ),
    ).toBe(true);
    expect(
      sameRepo(
        'git@github.com:argoproj/argocd-example-apps.git',
        'ssh://git@github.com/argoproj/argocd-example-apps',
      ),
    ).toBe(true);
    expect(normalizeRepoURL('file:///srv/repo.git')).toBe('/srv/repo');
    expect(sameRepo('https://github.com/a/b', 'https://github.com/a/c')).toBe(false);
  });
});

describe('webhook payloads', () => {
  it('name the repository of GitHub, GitLab and Bitbucket pushes', () => {
    expect(
      webhookRepoURLs({
        repository: { html_url: 'https://github.com/o/r', clone_url: 'https://github.com/o/r.git' },
      }),
    ).toEqual(['https://github.com/o/r', 'https://github.com/o/r.git']);
    expect(
      webhookRepoURLs({
        project: { web_url: 'https://gitlab.example/o/r', git_ssh_url: 'git@gitlab.example:o/r.git' },
      }),
    ).toEqual(['https://gitlab.example/o/r', 'git@gitlab.example:o/r.git']);
    expect(
      webhookRepoURLs({ repository: { links: { html: { href: 'https://bitbucket.org/o/r' } } } }),
    ).toEqual(['https://bitbucket.org/o/r']);
    expect(webhookRepoURLs({ zen: 'ping' })).toEqual([]);
  });
});

describe('templates', () => {
  const params = {
    name: 'eu-1',
    server: 'https://127.0.0.1:7001',
    metadata: { labels: { region: 'eu' } },
    path: { segments: ['apps', 'web'] },
  };

  it('fasttemplate replaces flattened parameters and keeps unknown ones', () => {
    const flat = flattenParams(params);
    expect(renderFast('{{name}}-{{metadata.labels.region}}-{{ path.segments[1] }}', flat)).toBe(
      'eu-1-eu-web',
    );
    expect(renderFast('{{unknown}}', flat)).toBe('{{unknown}}');
  });

  it('goTemplate evaluates fields, index and pipelines; missingkey=error refuses an unknown field', () => {
    expect(renderGo('{{.name}}-{{ .metadata.labels.region | upper }}', params)).toBe('eu-1-EU');
    expect(renderGo('{{index .path.segments 1}}', params)).toBe('web');
    expect(renderGo('{{ .missing | default "x" }}', params)).toBe('x');
    expect(renderGo('{{.nope}}', params)).toBe('<no value>');
    expect(() => renderGo('{{.path.path}}', params, { missingKeyError: true })).toThrow(
      /map has no entry for key "path"/,
    );
    expect(renderGo('{{ normalize "Team_A/App" }}', params)).toBe('team-a-app');
  });

  it('renders every string of an Application template', () => {
    const t = {
      metadata: { name: '{{.name}}-guestbook' },
      spec: { destination: { server: '{{.server}}' }, revisionHistoryLimit: 3 },
    };
    expect(renderTemplate(t, params, { goTemplate: true })).toEqual({
      metadata: { name: 'eu-1-guestbook' },
      spec: { destination: { server: 'https://127.0.0.1:7001' }, revisionHistoryLimit: 3 },
    });
  });
});

describe('health of core kinds', () => {
  const deployment = (status: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', generation: 2 },
    spec: { replicas: 2, ...extra },
    status: { observedGeneration: 2, ...status },
  });

  it('follows the Deployment rollout as Argo CD reports it', () => {
    expect(resourceHealth(deployment({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))).toEqual({
      status: 'Healthy',
    });
    expect(resourceHealth(deployment({ replicas: 2, updatedReplicas: 1, availableReplicas: 1 }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for rollout to finish: 1 out of 2 new replicas have been updated...',
    });
    expect(
      resourceHealth(
        deployment({
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
        }),
      ),
    ).toEqual({ status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline' });
    expect(resourceHealth(deployment({}, { paused: true }))).toEqual({
      status: 'Suspended',
      message: 'Deployment is paused',
    });
    expect(resourceHealth({ ...deployment({}), status: { observedGeneration: 1 } })?.status).toBe(
      'Progressing',
    );
  });

  it('judges Jobs, PVCs and Services, and has no rule for ConfigMaps', () => {
    expect(
      resourceHealth({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        status: { conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }] },
      }),
    ).toEqual({
      status: 'Degraded',
      message: 'BackoffLimitExceeded',
    });
    expect(
      resourceHealth({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'p' },
        status: { phase: 'Pending' },
      })?.status,
    ).toBe('Progressing');
    expect(
      resourceHealth({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { type: 'LoadBalancer' },
      })?.status,
    ).toBe('Progressing');
    expect(resourceHealth({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toBeUndefined();
  });
});
