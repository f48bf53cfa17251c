// What Cluster API's Docker provider webhooks do: the control plane endpoint port defaults to
// 6443, templates are immutable, template metadata must be valid labels and annotations.

import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import type { KubeObject } from '../../../../machinery/object.js';
import {
  asObject,
  childObject,
  ensureSpec,
  type Json,
  path,
  templateSpecImmutable,
  validateCapiMetadata,
} from '../../cluster-api/validation.js';
import { DEFAULT_API_SERVER_PORT, INFRASTRUCTURE_GROUP } from './constants.js';

function defaultDockerClusterSpec(spec: Json | undefined): void {
  const endpoint = childObject(spec, 'controlPlaneEndpoint');
  if (endpoint && (endpoint.port === undefined || endpoint.port === null || endpoint.port === 0)) {
    endpoint.port = DEFAULT_API_SERVER_PORT;
  }
}

const templateMetadata = (obj: KubeObject) =>
  validateCapiMetadata('spec.template.metadata', path(obj, 'spec', 'template', 'metadata'));

export const dockerClusterStrategy: Strategy = {
  applyDefaults: (obj) => defaultDockerClusterSpec(ensureSpec(obj)),
};

export const dockerClusterTemplateStrategy: Strategy = {
  applyDefaults: (obj) => defaultDockerClusterSpec(asObject(path(obj, 'spec', 'template', 'spec'))),
  validate: templateMetadata,
  validateUpdate: (obj, old) => templateSpecImmutable('DockerClusterTemplate', obj, old),
};

export const dockerMachineTemplateStrategy: Strategy = {
  validate: templateMetadata,
  validateUpdate: (obj, old) => templateSpecImmutable('DockerMachineTemplate', obj, old),
};

export const dockerStrategies: Record<string, Strategy> = {
  [`${INFRASTRUCTURE_GROUP}/DockerCluster`]: dockerClusterStrategy,
  [`${INFRASTRUCTURE_GROUP}/DockerClusterTemplate`]: dockerClusterTemplateStrategy,
  [`${INFRASTRUCTURE_GROUP}/DockerMachineTemplate`]: dockerMachineTemplateStrategy,
};
