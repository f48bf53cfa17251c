// k8s.io/api discovery/v1 as of Kubernetes 1.33 (the field set kubectl 1.33 sends): field number ->
// JSON name and type, in the notation of ../schema.ts.

import type { PackageTable } from '../schema.js';

export const discoveryV1: PackageTable = {
  package: 'discovery.v1',
  protoPackage: 'k8s.io.api.discovery.v1',
  apiVersion: 'discovery.k8s.io/v1',
  kinds: ['EndpointSlice'],
  messages: {
    Endpoint: {
      1: 'addresses []string',
      2: 'conditions EndpointConditions',
      3: 'hostname string?',
      4: 'targetRef core.v1.ObjectReference',
      5: 'deprecatedTopology map[string]string',
      6: 'nodeName string?',
      7: 'zone string?',
      8: 'hints EndpointHints',
    },
    EndpointConditions: { 1: 'ready bool?', 2: 'serving bool?', 3: 'terminating bool?' },
    EndpointHints: { 1: 'forZones []ForZone', 2: 'forNodes []ForNode' },
    EndpointPort: { 1: 'name string?', 2: 'protocol string?', 3: 'port int32?', 4: 'appProtocol string?' },
    EndpointSlice: {
      1: 'metadata meta.v1.ObjectMeta',
      2: 'endpoints []Endpoint',
      3: 'ports []EndpointPort',
      4: 'addressType string!',
    },
    ForNode: { 1: 'name string!' },
    ForZone: { 1: 'name string!' },
  },
};
