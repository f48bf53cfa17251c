// Argo CD's kinds (argoproj.io/v1alpha1 Application, ApplicationSet, AppProject) as TypeScript
// types, field names as Argo CD's Go types spell them, and the names controllers share: sync and
// health codes, condition types, labels, annotations and finalizers.

import type { KubeObject, LabelSelector } from '../../../machinery/object.js';

export const ARGOCD_GROUP = 'argoproj.io';
export const ARGOCD_VERSION = 'v1alpha1';
export const ARGOCD_API_VERSION = `${ARGOCD_GROUP}/${ARGOCD_VERSION}`;

/** Labels and annotations Argo CD reads. */
export const SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';
export const SECRET_TYPE_REPOSITORY = 'repository';
export const SECRET_TYPE_REPO_CREDS = 'repo-creds';
export const SECRET_TYPE_CLUSTER = 'cluster';
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh';
export const APPSET_REFRESH_ANNOTATION = 'argocd.argoproj.io/application-set-refresh';
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
export const HOOK_DELETE_POLICY_ANNOTATION = 'argocd.argoproj.io/hook-delete-policy';
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';
export const COMPARE_OPTIONS_ANNOTATION = 'argocd.argoproj.io/compare-options';
/** The label Argo CD (label tracking) puts on every resource it applies: the Application's name. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** Annotation tracking (Argo CD's default since 2.x): `<app>:<group>/<kind>:<namespace>/<name>`. */
export const TRACKING_ID_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
export const RESOURCES_FINALIZER_BACKGROUND = 'resources-finalizer.argocd.argoproj.io/background';
export const APPSET_ORIGINAL_NAMESPACE = 'argocd';
/** Promotion (Concord's gate beyond Argo CD): approval of the step an Application waits in. */
export const APPROVED_ANNOTATION = 'gitops.concord.dev/approved-revision';

/** The hub itself as a destination, as Argo CD names its own cluster. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
export const IN_CLUSTER_NAME = 'in-cluster';

export type SyncStatusCode = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
export type OperationPhase = 'Running' | 'Terminating' | 'Failed' | 'Error' | 'Succeeded';
export type ResultCode = 'Synced' | 'SyncFailed' | 'Pruned' | 'PruneSkipped';
export type HookType = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail' | 'Skip';
export type SyncPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';

/** ApplicationCondition types Argo CD reports. */
export const CONDITION_COMPARISON_ERROR = 'ComparisonError';
export const CONDITION_SYNC_ERROR = 'SyncError';
export const CONDITION_INVALID_SPEC_ERROR = 'InvalidSpecError';
export const CONDITION_UNKNOWN_ERROR = 'UnknownError';
export const CONDITION_ORPHANED_RESOURCE_WARNING = 'OrphanedResourceWarning';

export interface ApplicationCondition {
  type: string;
  message: string;
  lastTransitionTime?: string;
}

export interface ApplicationSourceDirectory {
  recurse?: boolean;
  jsonnet?: Record<string, unknown>;
  exclude?: string;
  include?: string;
}

export interface ApplicationSourceKustomize {
  namePrefix?: string;
  nameSuffix?: string;
  images?: string[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  namespace?: string;
  [field: string]: unknown;
}

export interface ApplicationSourceHelm {
  valueFiles?: string[];
  parameters?: { name?: string; value?: string; forceString?: boolean }[];
  releaseName?: string;
  values?: string;
  valuesObject?: Record<string, unknown>;
  namespace?: string;
  [field: string]: unknown;
}

export interface ApplicationSource {
  repoURL: string;
  path?: string;
  targetRevision?: string;
  helm?: ApplicationSourceHelm;
  kustomize?: ApplicationSourceKustomize;
  directory?: ApplicationSourceDirectory;
  plugin?: Record<string, unknown>;
  chart?: string;
  ref?: string;
  name?: string;
}

export interface ApplicationDestination {
  server?: string;
  namespace?: string;
  name?: string;
}

export interface RetryStrategy {
  limit?: number;
  backoff?: { duration?: string; factor?: number; maxDuration?: string };
  refresh?: boolean;
}

export interface SyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean; enabled?: boolean };
  syncOptions?: string[];
  retry?: RetryStrategy;
  managedNamespaceMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface SyncOperationResource {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface SyncOperation {
  revision?: string;
  revisions?: string[];
  prune?: boolean;
  dryRun?: boolean;
  syncStrategy?: { apply?: { force?: boolean }; hook?: { force?: boolean } };
  resources?: SyncOperationResource[];
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  syncOptions?: string[];
}

export interface Operation {
  sync?: SyncOperation;
  initiatedBy?: { username?: string; automated?: boolean };
  info?: { name: string; value: string }[];
  retry?: RetryStrategy;
}

export interface ApplicationSpec {
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  destination: ApplicationDestination;
  project: string;
  syncPolicy?: SyncPolicy;
  ignoreDifferences?: Record<string, unknown>[];
  info?: { name: string; value: string }[];
  revisionHistoryLimit?: number;
}

export interface HealthStatus {
  status?: HealthStatusCode;
  message?: string;
  lastTransitionTime?: string;
}

export interface ResourceStatus {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  status?: SyncStatusCode;
  health?: HealthStatus;
  hook?: boolean;
  requiresPruning?: boolean;
  syncWave?: number;
}

export interface ResourceResult {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  status?: ResultCode;
  message?: string;
  hookType?: HookType;
  hookPhase?: OperationPhase;
  syncPhase?: SyncPhase;
}

export interface SyncOperationResult {
  resources?: ResourceResult[];
  revision: string;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  revisions?: string[];
}

export interface OperationState {
  operation: Operation;
  phase: OperationPhase;
  message?: string;
  syncResult?: SyncOperationResult;
  startedAt: string;
  finishedAt?: string;
  retryCount?: number;
}

export interface RevisionHistory {
  revision?: string;
  revisions?: string[];
  deployedAt: string;
  id: number;
  source?: ApplicationSource;
  sources?: ApplicationSource[];
  deployStartedAt?: string;
  initiatedBy?: { username?: string; automated?: boolean };
}

export interface ApplicationStatus {
  resources?: ResourceStatus[];
  sync?: {
    status: SyncStatusCode;
    comparedTo?: {
      source?: ApplicationSource;
      sources?: ApplicationSource[];
      destination?: ApplicationDestination;
    };
    revision?: string;
    revisions?: string[];
  };
  health?: HealthStatus;
  history?: RevisionHistory[];
  conditions?: ApplicationCondition[];
  reconciledAt?: string;
  operationState?: OperationState;
  observedAt?: string;
  sourceType?: string;
  sourceTypes?: string[];
  summary?: { externalURLs?: string[]; images?: string[] };
  controllerNamespace?: string;
}

export interface Application extends KubeObject {
  spec: ApplicationSpec;
  status?: ApplicationStatus;
  operation?: Operation;
}

export interface AppProject extends KubeObject {
  spec?: {
    sourceRepos?: string[];
    destinations?: ApplicationDestination[];
    description?: string;
    roles?: unknown[];
    clusterResourceWhitelist?: { group: string; kind: string }[];
    clusterResourceBlacklist?: { group: string; kind: string }[];
    namespaceResourceBlacklist?: { group: string; kind: string }[];
    namespaceResourceWhitelist?: { group: string; kind: string }[];
    sourceNamespaces?: string[];
    [field: string]: unknown;
  };
  status?: Record<string, unknown>;
}

/** An ApplicationSet generator: exactly one of its fields is set. */
export interface ApplicationSetGenerator {
  list?: { elements?: unknown[]; elementsYaml?: string; template?: ApplicationSetTemplate };
  clusters?: {
    selector?: LabelSelector;
    template?: ApplicationSetTemplate;
    values?: Record<string, string>;
    flatList?: boolean;
  };
  git?: {
    repoURL: string;
    directories?: { path: string; exclude?: boolean }[];
    files?: { path: string; exclude?: boolean }[];
    revision: string;
    requeueAfterSeconds?: number;
    template?: ApplicationSetTemplate;
    pathParamPrefix?: string;
    values?: Record<string, string>;
  };
  matrix?: { generators: ApplicationSetGenerator[]; template?: ApplicationSetTemplate };
  merge?: { generators: ApplicationSetGenerator[]; mergeKeys: string[]; template?: ApplicationSetTemplate };
  selector?: LabelSelector;
  [other: string]: unknown;
}

export interface ApplicationSetTemplate {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Partial<ApplicationSpec>;
}

export interface RollingSyncStep {
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
  maxUpdate?: number | string;
}

export interface ApplicationSetSpec {
  goTemplate?: boolean;
  goTemplateOptions?: string[];
  generators: ApplicationSetGenerator[];
  template: ApplicationSetTemplate;
  syncPolicy?: { preserveResourcesOnDeletion?: boolean; applicationsSync?: string };
  strategy?: { type?: string; rollingSync?: { steps?: RollingSyncStep[] } };
  preservedFields?: { annotations?: string[]; labels?: string[] };
  templatePatch?: string;
  ignoreApplicationDifferences?: unknown[];
  applyNestedSelectors?: boolean;
}

export interface ApplicationSetApplicationStatus {
  application: string;
  message: string;
  lastTransitionTime?: string;
  status: string;
  step: string;
  targetRevisions?: string[];
}

export interface ApplicationSet extends KubeObject {
  spec: ApplicationSetSpec;
  status?: {
    conditions?: {
      type: string;
      status: string;
      message: string;
      reason: string;
      lastTransitionTime?: string;
    }[];
    applicationStatus?: ApplicationSetApplicationStatus[];
    resources?: ResourceStatus[];
    resourcesCount?: number;
  };
}

/** ApplicationSet condition types and reasons, as Argo CD's applicationset controller writes them. */
export const APPSET_CONDITION_ERROR = 'ErrorOccurred';
export const APPSET_CONDITION_PARAMETERS_GENERATED = 'ParametersGenerated';
export const APPSET_CONDITION_RESOURCES_UP_TO_DATE = 'ResourcesUpToDate';
export const APPSET_CONDITION_ROLLOUT_PROGRESSING = 'RolloutProgressing';
