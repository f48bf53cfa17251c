// The CustomResourceDefinitions of recovery.concord.dev/v1alpha1: DisasterRecoveryStrategy (drs)
// and DrillRun (drill). kubectl prints a strategy's kind, state, primary and last recovery time,
// and a drill's figures.

import type { KubeObject } from '../../../machinery/object.js';
import { resourceSelectors } from '../karmada/policy/crd.js';
import {
  array,
  bool,
  crd,
  int32,
  intOrString,
  labelSelector,
  metaConditions,
  number,
  object,
  oneOf,
  type PrinterColumn,
  string,
  time,
} from '../schema.js';
import {
  DRILL_PHASES,
  DRILL_SCENARIOS,
  FAILBACK_MODES,
  RECOVERY_GROUP,
  RECOVERY_VERSION,
  STRATEGY_STATES,
  STRATEGY_TYPES,
} from './constants.js';

const CATEGORIES = ['concord', 'recovery'];

function site(description: string) {
  return object(
    {
      clusterNames: array(string(), { description: 'Member clusters by name.' }),
      regions: array(string(), { description: 'Member clusters whose spec.region is one of these.' }),
      labelSelector: labelSelector({ description: 'Member clusters whose labels match.' }),
    },
    { description },
  );
}

const failoverRecord = object(
  {
    from: string({ description: 'The primary that failed.' }),
    to: string({ description: 'The cluster promoted in its place.' }),
    reason: string({ description: 'Why the primary was seen as failed.' }),
    failureTime: time({
      description:
        "When the primary was seen failing (its Ready condition's transition, or its NoExecute taint).",
    }),
    promotionTime: time({ description: 'When the standby was promoted.' }),
    firstReadyTime: time({ description: 'When every workload had a ready replica on the new primary.' }),
    fullCapacityTime: time({ description: 'When every workload ran all its replicas on the new primary.' }),
    recoveryTime: string({ description: 'fullCapacityTime - failureTime, e.g. "4.2s".' }),
    recoverySeconds: number({ description: 'The recovery time in seconds.' }),
  },
  { description: 'The last failover, with its measured recovery time.' },
);

const strategyCrd: KubeObject = crd({
  group: RECOVERY_GROUP,
  kind: 'DisasterRecoveryStrategy',
  plural: 'disasterrecoverystrategies',
  shortNames: ['drs'],
  categories: CATEGORIES,
  scope: 'Namespaced',
  versions: [
    {
      name: RECOVERY_VERSION,
      storage: true,
      status: true,
      printerColumns: [
        col('Strategy', 'string', '.spec.strategy', 'ActivePassive, ActiveActive, PilotLight or WarmStandby'),
        col('State', 'string', '.status.state', 'Protected, FailingOver, FailedOver or Degraded'),
        col('Primary', 'string', '.status.currentPrimary', 'The cluster serving the application'),
        col('Standby', 'string', '.status.currentStandby', 'The cluster ready to take over', 1),
        col('Last-RTO', 'string', '.status.lastFailover.recoveryTime', 'Recovery time of the last failover'),
        col('Age', 'date', '.metadata.creationTimestamp', ''),
      ],
      schema: object(
        {
          spec: object(
            {
              strategy: oneOf(STRATEGY_TYPES, {
                description:
                  'ActivePassive: the standby holds the application scaled to zero; ActiveActive: both sites run ' +
                  'all replicas and serve; PilotLight: the standby holds only config and secrets; WarmStandby: the ' +
                  'standby runs standbyReplicas.',
              }),
              resourceSelectors: resourceSelectors({
                minItems: 1,
                description: "The application's resources, in the strategy's namespace.",
              }),
              primary: site('Where the application runs normally.'),
              secondary: site('Where it runs when the primary fails.'),
              standbyReplicas: intOrString({
                description: 'WarmStandby: replicas on the standby, a number or a percentage (default 25%).',
              }),
              failback: oneOf(FAILBACK_MODES, {
                default: 'Manual',
                description:
                  'Manual: fail back only when asked (failbackTriggeredAt); Automatic: once the primary site is healthy.',
              }),
              failbackTriggeredAt: time({
                description: 'Set to now to ask for a failback to the primary site.',
              }),
              failoverAfterSeconds: int32({
                minimum: 0,
                default: 0,
                description: 'How long the primary may stay unhealthy before the standby is promoted.',
              }),
              recoveryTimeObjective: string({
                description: 'The recovery time a failover must meet, e.g. "15s" (default per strategy).',
              }),
              traffic: object(
                {
                  serviceName: string({ description: 'The Service that serves the application.' }),
                  port: int32({
                    minimum: 1,
                    maximum: 65535,
                    description: "The Service's port (default its first).",
                  }),
                  hostname: string({ description: "The application's global DNS name." }),
                  gslbName: string({
                    description:
                      "A k8gb Gslb (strategy failover) whose primaryGeoTag follows the current primary's region.",
                  }),
                },
                { description: 'How clients reach the application.' },
              ),
            },
            { required: ['strategy', 'resourceSelectors', 'primary', 'secondary'] },
          ),
          status: object({
            observedGeneration: { type: 'integer', format: 'int64' },
            state: oneOf(STRATEGY_STATES),
            currentPrimary: string(),
            currentStandby: string(),
            resources: array(
              object({
                apiVersion: string(),
                kind: string(),
                name: string(),
                role: oneOf(['Workload', 'Config']),
              }),
            ),
            lastFailover: failoverRecord,
            lastFailback: object({
              from: string(),
              to: string(),
              trigger: oneOf(FAILBACK_MODES),
              startTime: time(),
              completionTime: time(),
            }),
            observedFailbackTriggeredAt: time(),
            conditions: metaConditions(),
          }),
        },
        { required: ['spec'] },
      ),
    },
  ],
});

const drillRunCrd: KubeObject = crd({
  group: RECOVERY_GROUP,
  kind: 'DrillRun',
  plural: 'drillruns',
  shortNames: ['drill'],
  categories: CATEGORIES,
  scope: 'Namespaced',
  versions: [
    {
      name: RECOVERY_VERSION,
      storage: true,
      status: true,
      printerColumns: [
        col('Strategy', 'string', '.spec.strategyName', 'The strategy drilled'),
        col('Scenario', 'string', '.spec.scenario', 'cluster-down, region-down or partition'),
        col('Phase', 'string', '.status.phase', 'Running, Succeeded or Failed'),
        col('RTO', 'number', '.status.rtoFullCapacitySeconds', 'Seconds from the fault to full capacity'),
        col(
          'First-Success',
          'number',
          '.status.rtoFirstSuccessSeconds',
          'Seconds from the fault to the first answered request',
          1,
        ),
        col('Failed', 'integer', '.status.requests.failed', 'Requests that failed during the drill'),
        col('Met', 'boolean', '.status.objectiveMet', 'Whether the recovery time objective was met'),
        col('Age', 'date', '.metadata.creationTimestamp', ''),
      ],
      schema: object(
        {
          spec: object(
            {
              strategyName: string({ minLength: 1, description: 'The DisasterRecoveryStrategy drilled.' }),
              scenario: oneOf(DRILL_SCENARIOS, { default: 'cluster-down' }),
              duration: string({ description: 'How long the fault lasts at least, e.g. "30s".' }),
            },
            { required: ['strategyName'] },
          ),
          status: object({
            phase: oneOf(DRILL_PHASES),
            startTime: time(),
            completionTime: time(),
            targetClusters: array(string()),
            method: oneOf(['fault', 'taint']),
            faultTime: time(),
            healTime: time(),
            primaryBefore: string(),
            primaryAfter: string(),
            rtoFirstSuccessSeconds: number(),
            rtoFullCapacitySeconds: number(),
            recoveryTimeObjective: string(),
            objectiveMet: bool(),
            requests: object({ total: int32(), failed: int32() }),
            objects: object({
              expected: int32(),
              found: int32(),
              lost: array(string()),
              duplicated: array(string()),
            }),
            healed: bool(),
            message: string(),
          }),
        },
        { required: ['spec'] },
      ),
    },
  ],
});

function col(
  name: string,
  type: PrinterColumn['type'],
  jsonPath: string,
  description: string,
  priority?: number,
): PrinterColumn {
  return { name, type, jsonPath, ...(description ? { description } : {}), ...(priority ? { priority } : {}) };
}

export const recoveryCrds: KubeObject[] = [strategyCrd, drillRunCrd];
