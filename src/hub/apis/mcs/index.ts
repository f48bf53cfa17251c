// The Multi-Cluster Services API on the hub and in member clusters: ServiceExport, ServiceImport
// and ClusterProperty, with the resource refs controllers use.

import type { ApiExtension } from '../../../apiserver/extensions.js';
import type { ResourceRef } from '../../../client/client.js';
import { resourceRef as ref } from '../../../client/resources.js';
import { clusterPropertyCrd, serviceExportCrd, serviceImportCrd } from './crd.js';
import { ABOUT_GROUP, ABOUT_VERSION, MCS_GROUP, MCS_VERSION } from './types.js';

export * from './types.js';

export const mcsResources = Object.freeze({
  serviceexports: ref(MCS_GROUP, MCS_VERSION, 'serviceexports', 'ServiceExport', true),
  serviceimports: ref(MCS_GROUP, MCS_VERSION, 'serviceimports', 'ServiceImport', true),
  clusterproperties: ref(ABOUT_GROUP, ABOUT_VERSION, 'clusterproperties', 'ClusterProperty', false),
} satisfies Record<string, ResourceRef>);

/** The MCS kinds, as the hub and every simulated cluster serve them. */
export const mcsApis: ApiExtension = { crds: [serviceExportCrd, serviceImportCrd, clusterPropertyCrd] };
