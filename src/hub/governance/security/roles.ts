// The hub's roles for people: a team works in the namespaces it is bound in (concord:team-admin
// or concord:team-viewer, bound per namespace by a RoleBinding) and sees nothing else; platform
// administrators (concord:fleet-admin, bound by a ClusterRoleBinding) manage the fleet's
// cluster-scoped kinds. None of them grants Secrets outside a team's own namespaces, so the
// members' credentials (Secrets in karmada-cluster, Cluster API kubeconfig Secrets in the
// platform's namespaces) stay with the hub's controllers and cluster-admin.
//
// No role here writes RBAC objects: the hub does not check Kubernetes' escalation rules (the
// bind and escalate verbs) yet, and a team that could write RoleBindings could grant itself what
// its namespace holds beyond these roles (ResourceBindings, for one).

import { pendingAggregations } from '../../../apiserver/rbac/aggregation.js';
import {
  AGGREGATE_TO_EDIT,
  AGGREGATE_TO_VIEW,
  bootstrapClusterRoles,
} from '../../../apiserver/rbac/bootstrap-policy.js';
import type { ClusterRole, PolicyRule } from '../../../apiserver/rbac/types.js';
import { ARGOCD_GROUP } from '../../apis/argocd/types.js';
import { ADDONS_GROUP } from '../../apis/cluster-api/addons/constants.js';
import { BOOTSTRAP_GROUP } from '../../apis/cluster-api/bootstrap/constants.js';
import { CONTROL_PLANE_GROUP } from '../../apis/cluster-api/controlplane/constants.js';
import { CLUSTER_API_GROUP } from '../../apis/cluster-api/core/constants.js';
import { GOVERNANCE_GROUP } from '../../apis/governance/types.js';
import { INFRASTRUCTURE_GROUP } from '../../apis/infrastructure/docker/constants.js';
import { LOCAL_GROUP } from '../../apis/infrastructure/local/constants.js';
import { K8GB_GROUP, K8GB_LEGACY_GROUP } from '../../apis/k8gb/types.js';
import { CLUSTER_GROUP } from '../../apis/karmada/cluster/types.js';
import { POLICY_GROUP } from '../../apis/karmada/policy/types.js';
import { WORK_GROUP } from '../../apis/karmada/work/types.js';
import { MCS_GROUP } from '../../apis/mcs/types.js';
import { RECOVERY_GROUP } from '../../apis/recovery/constants.js';

export const TEAM_ADMIN_ROLE = 'concord:team-admin';
export const TEAM_VIEWER_ROLE = 'concord:team-viewer';
export const FLEET_ADMIN_ROLE = 'concord:fleet-admin';
/** ClusterRoles labelled so ("true") add their rules to concord:team-admin / concord:team-viewer. */
export const AGGREGATE_TO_TEAM_ADMIN = `${GOVERNANCE_GROUP}/aggregate-to-team-admin`;
export const AGGREGATE_TO_TEAM_VIEWER = `${GOVERNANCE_GROUP}/aggregate-to-team-viewer`;

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  apiGroups,
  resources,
  verbs,
});

/** The fleet's namespaced kinds a team works with: policies, services across members, recovery, apps. */
const TEAM_KINDS: [string[], string[]][] = [
  [[POLICY_GROUP], ['propagationpolicies', 'overridepolicies']],
  [[MCS_GROUP], ['serviceexports', 'serviceimports']],
  [[RECOVERY_GROUP], ['disasterrecoverystrategies', 'drillruns']],
  [[K8GB_GROUP, K8GB_LEGACY_GROUP], ['gslbs']],
  [[ARGOCD_GROUP], ['applications', 'applicationsets']],
];

function clusterRole(
  name: string,
  rules: PolicyRule[],
  opts: { labels?: Record<string, string>; aggregateFrom?: string[] } = {},
): ClusterRole {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'concord', ...opts.labels } },
    ...(opts.aggregateFrom
      ? {
          aggregationRule: {
            clusterRoleSelectors: opts.aggregateFrom.map((label) => ({ matchLabels: { [label]: 'true' } })),
          },
        }
      : {}),
    rules,
  };
}

/**
 * The hub's roles. The two team roles are aggregated (from Kubernetes' edit or view and from the
 * fleet rules below, so that a CRD's own roles can extend them by label); their rules are
 * computed here already, so that they grant from the first request on.
 */
export function fleetClusterRoles(): ClusterRole[] {
  const roles = [
    clusterRole(TEAM_ADMIN_ROLE, [], { aggregateFrom: [AGGREGATE_TO_EDIT, AGGREGATE_TO_TEAM_ADMIN] }),
    clusterRole(TEAM_VIEWER_ROLE, [], { aggregateFrom: [AGGREGATE_TO_VIEW, AGGREGATE_TO_TEAM_VIEWER] }),
    clusterRole(
      `${TEAM_ADMIN_ROLE}:fleet`,
      [
        ...TEAM_KINDS.map(([groups, resources]) => rule(READ_WRITE, groups, resources)),
        // What the hub made of the team's policies, and who may do what in the namespace.
        rule(READ, [WORK_GROUP], ['resourcebindings', 'resourcebindings/status']),
        rule(READ, [RBAC], ['roles', 'rolebindings']),
        rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      ],
      { labels: { [AGGREGATE_TO_TEAM_ADMIN]: 'true' } },
    ),
    clusterRole(
      `${TEAM_VIEWER_ROLE}:fleet`,
      [
        ...TEAM_KINDS.map(([groups, resources]) => rule(READ, groups, resources)),
        rule(READ, [WORK_GROUP], ['resourcebindings', 'resourcebindings/status']),
      ],
      { labels: { [AGGREGATE_TO_TEAM_VIEWER]: 'true' } },
    ),
    clusterRole(FLEET_ADMIN_ROLE, [
      // Placement for the whole fleet, and every team's policies.
      rule(
        READ_WRITE,
        [POLICY_GROUP],
        ['clusterpropagationpolicies', 'clusteroverridepolicies', 'propagationpolicies', 'overridepolicies'],
      ),
      rule(READ_WRITE, [GOVERNANCE_GROUP], ['residencyrules']),
      rule(READ, [GOVERNANCE_GROUP], ['residencyrules/status']),
      // Members: registered, provisioned, their infrastructure.
      rule(READ_WRITE, [CLUSTER_GROUP], ['clusters']),
      rule(READ, [CLUSTER_GROUP], ['clusters/status']),
      rule(
        READ_WRITE,
        [
          CLUSTER_API_GROUP,
          ADDONS_GROUP,
          CONTROL_PLANE_GROUP,
          BOOTSTRAP_GROUP,
          INFRASTRUCTURE_GROUP,
          LOCAL_GROUP,
        ],
        ['*'],
      ),
      rule(READ, [WORK_GROUP], ['resourcebindings', 'clusterresourcebindings', 'works']),
      rule(READ_WRITE, [RECOVERY_GROUP, MCS_GROUP, K8GB_GROUP, K8GB_LEGACY_GROUP, ARGOCD_GROUP], ['*']),
      // Team namespaces are created here; binding a team to one is cluster-admin's (see above).
      rule([...READ, 'create'], [''], ['namespaces']),
      rule(READ, [''], ['events']),
      rule(READ, ['events.k8s.io'], ['events']),
    ]),
  ];
  const all = [...bootstrapClusterRoles(), ...roles];
  for (const update of pendingAggregations(all)) {
    const role = roles.find((r) => r.metadata.name === update.name);
    if (role) role.rules = update.rules;
  }
  return roles;
}
