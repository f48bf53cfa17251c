// The CustomResourceDefinitions of argoproj.io: Application, ApplicationSet and AppProject, with
// Argo CD's names, short names, printer columns and subresources (Application has no status
// subresource: Argo CD's controller writes the whole object). The fields Concord acts on are
// written out from Argo CD's Go types; the large nested option blocks (Helm, Kustomize, plugin
// parameters, generators beyond their outline) are kept as written so that Argo CD's manifests
// apply unchanged and round-trip whole.

import type { KubeObject } from '../../../machinery/object.js';
import type { Schema } from '../../../machinery/schema.js';
import { array, bool, crd, int64, map, object, preserveUnknown, string, time } from '../schema.js';
import { ARGOCD_GROUP, ARGOCD_VERSION } from './types.js';

const source = (): Schema =>
  object(
    {
      repoURL: string({
        description: 'URL of the git repository (or Helm repository) holding the manifests.',
      }),
      path: string({ description: 'Directory in the repository holding the manifests.' }),
      targetRevision: string({ description: 'Branch, tag, commit or HEAD (default HEAD).' }),
      chart: string({ description: 'Helm chart name, for Helm repositories.' }),
      ref: string({ description: 'Name by which other sources refer to this one ($ref/...).' }),
      name: string({ description: 'Name of the source.' }),
      directory: object(
        {
          recurse: bool({ description: 'Read subdirectories too.' }),
          include: string({ description: 'Glob of files to read (a {a,b} list allowed).' }),
          exclude: string({ description: 'Glob of files to skip (a {a,b} list allowed).' }),
          jsonnet: preserveUnknown(),
        },
        { description: 'Options of a plain directory of manifests.' },
      ),
      helm: preserveUnknown({
        description: 'Helm options (values, valueFiles, parameters, releaseName ...).',
      }),
      kustomize: preserveUnknown({
        description: 'Kustomize options (namePrefix, images, commonLabels ...).',
      }),
      plugin: preserveUnknown({ description: 'Config management plugin options.' }),
    },
    { required: ['repoURL'] },
  );

const destination = (): Schema =>
  object({
    server: string({ description: 'API server URL of the target cluster.' }),
    namespace: string({ description: 'Namespace of namespaced resources without one.' }),
    name: string({ description: 'Name of the target cluster (instead of server).' }),
  });

const retry = (): Schema =>
  object({
    limit: int64({ description: 'Attempts of a failed sync; negative: no limit.' }),
    backoff: object({
      duration: string({ description: 'First wait ("5s", or seconds).' }),
      factor: int64({ description: 'Multiplier of the wait after each failure.' }),
      maxDuration: string({ description: 'Longest wait.' }),
    }),
    refresh: bool(),
  });

const syncPolicy = (): Schema =>
  object({
    automated: object({
      enabled: bool({ description: 'Sync automatically (default true when automated is set).' }),
      prune: bool({ description: 'Delete resources no longer in git when syncing automatically.' }),
      selfHeal: bool({ description: 'Revert changes made on the cluster.' }),
      allowEmpty: bool({ description: 'Allow syncing an application with no resources.' }),
    }),
    syncOptions: array(string(), {
      description: 'CreateNamespace=true, ServerSideApply=true, Prune=false ...',
    }),
    retry: retry(),
    managedNamespaceMetadata: object({ labels: map(string()), annotations: map(string()) }),
  });

const applicationSpec = (): Schema =>
  object(
    {
      source: source(),
      sources: array(source()),
      destination: destination(),
      project: string({ description: 'The AppProject the application belongs to.' }),
      syncPolicy: syncPolicy(),
      ignoreDifferences: array(preserveUnknown()),
      info: array(object({ name: string(), value: string() }, { required: ['name', 'value'] })),
      revisionHistoryLimit: int64({ description: 'Entries kept in status.history (default 10).' }),
      sourceHydrator: preserveUnknown(),
    },
    { required: ['destination', 'project'] },
  );

const operation = (): Schema =>
  object({
    sync: object({
      revision: string(),
      revisions: array(string()),
      prune: bool(),
      dryRun: bool(),
      syncStrategy: preserveUnknown(),
      resources: array(
        object(
          { group: string(), kind: string(), name: string(), namespace: string() },
          { required: ['kind', 'name'] },
        ),
      ),
      source: source(),
      sources: array(source()),
      manifests: array(string()),
      syncOptions: array(string()),
      autoHealAttemptsCount: int64(),
    }),
    initiatedBy: object({ username: string(), automated: bool() }),
    info: array(object({ name: string(), value: string() }, { required: ['name', 'value'] })),
    retry: retry(),
  });

const health = (): Schema => object({ status: string(), message: string(), lastTransitionTime: time() });

const resourceStatus = (): Schema =>
  object({
    group: string(),
    version: string(),
    kind: string(),
    namespace: string(),
    name: string(),
    status: string(),
    health: health(),
    hook: bool(),
    requiresPruning: bool(),
    syncWave: int64(),
    requiresDeletionConfirmation: bool(),
  });

const resourceResult = (): Schema =>
  object(
    {
      group: string(),
      version: string(),
      kind: string(),
      namespace: string(),
      name: string(),
      status: string(),
      message: string(),
      hookType: string(),
      hookPhase: string(),
      syncPhase: string(),
      images: array(string()),
    },
    { required: ['group', 'kind', 'name', 'namespace', 'version'] },
  );

const applicationStatus = (): Schema =>
  object({
    resources: array(resourceStatus()),
    sync: object(
      {
        status: string(),
        comparedTo: object({
          source: source(),
          sources: array(source()),
          destination: destination(),
          ignoreDifferences: array(preserveUnknown()),
        }),
        revision: string(),
        revisions: array(string()),
      },
      { required: ['status'] },
    ),
    health: health(),
    history: array(
      object(
        {
          revision: string(),
          revisions: array(string()),
          deployedAt: time(),
          deployStartedAt: time(),
          id: int64(),
          source: source(),
          sources: array(source()),
          initiatedBy: object({ username: string(), automated: bool() }),
        },
        { required: ['deployedAt', 'id'] },
      ),
    ),
    conditions: array(
      object(
        { type: string(), message: string(), lastTransitionTime: time() },
        { required: ['message', 'type'] },
      ),
    ),
    reconciledAt: time(),
    operationState: object(
      {
        operation: operation(),
        phase: string(),
        message: string(),
        syncResult: object(
          {
            resources: array(resourceResult()),
            revision: string(),
            revisions: array(string()),
            source: source(),
            sources: array(source()),
            managedNamespaceMetadata: preserveUnknown(),
          },
          { required: ['revision'] },
        ),
        startedAt: time(),
        finishedAt: time(),
        retryCount: int64(),
      },
      { required: ['operation', 'phase', 'startedAt'] },
    ),
    observedAt: time(),
    sourceType: string(),
    sourceTypes: array(string()),
    summary: object({ externalURLs: array(string()), images: array(string()) }),
    resourceHealthSource: string(),
    controllerNamespace: string(),
    sourceHydrator: preserveUnknown(),
  });

export const applicationCrd: KubeObject = crd({
  group: ARGOCD_GROUP,
  kind: 'Application',
  plural: 'applications',
  shortNames: ['app', 'apps'],
  scope: 'Namespaced',
  versions: [
    {
      name: ARGOCD_VERSION,
      storage: true,
      schema: object(
        { spec: applicationSpec(), status: applicationStatus(), operation: operation() },
        { required: ['metadata', 'spec'] },
      ),
      printerColumns: [
        { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
        { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
        { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 10 },
        { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 10 },
      ],
    },
  ],
});

const templateMeta = (): Schema =>
  object({
    name: string(),
    namespace: string(),
    labels: map(string()),
    annotations: map(string()),
    finalizers: array(string()),
  });

/** An Application template: an Application spec whose strings may hold template expressions. */
const template = (): Schema =>
  object({ metadata: templateMeta(), spec: applicationSpec() }, { required: ['metadata', 'spec'] });

export const applicationSetCrd: KubeObject = crd({
  group: ARGOCD_GROUP,
  kind: 'ApplicationSet',
  plural: 'applicationsets',
  shortNames: ['appset', 'appsets'],
  scope: 'Namespaced',
  versions: [
    {
      name: ARGOCD_VERSION,
      storage: true,
      status: true,
      schema: object(
        {
          spec: object(
            {
              goTemplate: bool(),
              goTemplateOptions: array(string()),
              generators: array(preserveUnknown({ description: 'list, clusters, git, matrix, merge ...' })),
              template: template(),
              syncPolicy: object({
                preserveResourcesOnDeletion: bool(),
                applicationsSync: string({ enum: ['create-only', 'create-update', 'create-delete', 'sync'] }),
              }),
              strategy: object({
                type: string(),
                rollingSync: object({
                  steps: array(
                    object({
                      matchExpressions: array(
                        object({ key: string(), operator: string(), values: array(string()) }),
                      ),
                      maxUpdate: {
                        anyOf: [{ type: 'integer' }, { type: 'string' }],
                        'x-kubernetes-int-or-string': true,
                      },
                    }),
                  ),
                }),
                deletionOrder: string(),
              }),
              preservedFields: object({ annotations: array(string()), labels: array(string()) }),
              templatePatch: string(),
              ignoreApplicationDifferences: array(preserveUnknown()),
              applyNestedSelectors: bool(),
            },
            { required: ['generators', 'template'] },
          ),
          status: object({
            conditions: array(
              object(
                {
                  type: string(),
                  status: string(),
                  message: string(),
                  reason: string(),
                  lastTransitionTime: time(),
                },
                { required: ['message', 'reason', 'status', 'type'] },
              ),
            ),
            applicationStatus: array(
              object(
                {
                  application: string(),
                  message: string(),
                  lastTransitionTime: time(),
                  status: string(),
                  step: string(),
                  targetRevisions: array(string()),
                },
                { required: ['application', 'message', 'status', 'step'] },
              ),
            ),
            resources: array(resourceStatus()),
            resourcesCount: int64(),
          }),
        },
        { required: ['metadata', 'spec'] },
      ),
    },
  ],
});

export const appProjectCrd: KubeObject = crd({
  group: ARGOCD_GROUP,
  kind: 'AppProject',
  plural: 'appprojects',
  shortNames: ['appproj', 'appprojs'],
  scope: 'Namespaced',
  versions: [
    {
      name: ARGOCD_VERSION,
      storage: true,
      schema: object(
        {
          spec: object({
            description: string(),
            sourceRepos: array(string()),
            sourceNamespaces: array(string()),
            destinations: array(destination()),
            clusterResourceWhitelist: array(
              object({ group: string(), kind: string() }, { required: ['group', 'kind'] }),
            ),
            clusterResourceBlacklist: array(
              object({ group: string(), kind: string() }, { required: ['group', 'kind'] }),
            ),
            namespaceResourceWhitelist: array(
              object({ group: string(), kind: string() }, { required: ['group', 'kind'] }),
            ),
            namespaceResourceBlacklist: array(
              object({ group: string(), kind: string() }, { required: ['group', 'kind'] }),
            ),
            roles: array(preserveUnknown()),
            syncWindows: array(preserveUnknown()),
            orphanedResources: preserveUnknown(),
            signatureKeys: array(preserveUnknown()),
            destinationServiceAccounts: array(preserveUnknown()),
            permitOnlyProjectScopedClusters: bool(),
          }),
          status: preserveUnknown(),
        },
        { required: ['metadata', 'spec'] },
      ),
    },
  ],
});
