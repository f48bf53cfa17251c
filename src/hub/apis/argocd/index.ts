// Argo CD's APIs on the hub: the CRDs of argoproj.io (Application, ApplicationSet, AppProject),
// their server-side behaviour, the ResourceRefs clients use, and the names controllers share.

import type { ApiExtension } from '../../../apiserver/extensions.js';
import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import { applicationCrd, applicationSetCrd, appProjectCrd } from './crd.js';
import { argocdStrategies } from './strategy.js';
import { ARGOCD_GROUP, ARGOCD_VERSION } from './types.js';

export { parseBackoffDuration } from './strategy.js';
export * from './types.js';

export const argocdApis: ApiExtension = {
  crds: [applicationCrd, applicationSetCrd, appProjectCrd],
  strategies: argocdStrategies,
};

export const argocdResources = Object.freeze({
  applications: ref(ARGOCD_GROUP, ARGOCD_VERSION, 'applications', 'Application', true),
  applicationsets: ref(ARGOCD_GROUP, ARGOCD_VERSION, 'applicationsets', 'ApplicationSet', true),
  appprojects: ref(ARGOCD_GROUP, ARGOCD_VERSION, 'appprojects', 'AppProject', true),
} satisfies Record<string, ResourceRef>);
