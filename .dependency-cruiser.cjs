// The layers of src/ (docs: /README.md, "Layers"). Each layer imports only from itself and the
// layers below it: machinery -> storage -> apiserver -> client -> controller -> kube -> sim -> hub
// -> agent/cli/web. bench/, scripts/ and test/ may import anything. On the hub, a capability
// (src/hub/<cap>/) talks to the others through API objects, so it imports src/hub/apis/ and not
// another capability's folder; files directly in src/hub/ compose the capabilities. The agent runs
// beside a member cluster with the client, the controller runtime, machinery and the hub's API
// types only. Run: npm run lint:layers.

// Tests beside the code (and their support files) may run the real components of any layer, as
// the project's tests use real servers and clients rather than mocks.
const TEST_CODE = ['\\.test\\.ts$', '\\.testing\\.ts$', '/testing/'];

const layers = ['machinery', 'storage', 'apiserver', 'client', 'controller', 'kube', 'sim', 'hub'];
const top = ['agent', 'cli', 'web'];

/** Layers above `i` in the order: what layer i must not import. */
const above = (i) => [...layers.slice(i + 1), ...top];

const layerRules = layers.map((layer, i) => ({
  name: `layer-${layer}`,
  comment:
    `src/${layer}/ imports only from itself and the layers below it ` +
    `(${layers.slice(0, i).join(', ') || 'none'}); move the code down or invert the dependency.`,
  severity: 'error',
  from: { path: `^src/${layer}/`, pathNot: TEST_CODE },
  to: { path: `^src/(${above(i).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-top',
      comment:
        'src/agent/, src/cli/ and src/web/ are entry points: nothing below them imports them, and only ' +
        'the command line (`concord agent`) imports the agent.',
      severity: 'error',
      from: { path: '^src/(agent|cli|web)/', pathNot: TEST_CODE },
      to: { path: '^src/(agent|cli|web)/', pathNot: ['^src/$1/', '^src/agent/'] },
    },
    {
      name: 'agent-not-from-web',
      comment: 'The dashboard does not run the agent.',
      severity: 'error',
      from: { path: '^src/web/', pathNot: TEST_CODE },
      to: { path: '^src/agent/' },
    },
    {
      name: 'hub-capabilities',
      comment:
        'A hub capability (src/hub/<cap>/) reaches another only through API objects: import src/hub/apis/, ' +
        "not another capability's folder. Files directly in src/hub/ may compose any capability.",
      severity: 'error',
      from: { path: '^src/hub/([^/]+)/', pathNot: TEST_CODE },
      to: { path: '^src/hub/([^/]+)/', pathNot: ['^src/hub/$1/', '^src/hub/apis/'] },
    },
    {
      name: 'hub-not-kube',
      comment:
        'A hub capability does not reach into the built-in controllers (src/kube/): it uses the controller ' +
        'runtime (src/controller/) and machinery/ rules (taints, conditions, errors ...); only files directly ' +
        'in src/hub/ may start them.',
      severity: 'error',
      from: { path: '^src/hub/[^/]+/', pathNot: TEST_CODE },
      to: { path: '^src/kube/' },
    },
    {
      name: 'hub-apis-self-contained',
      comment:
        "src/hub/apis/ is the hub's vocabulary: it imports no capability and no composition-root file.",
      severity: 'error',
      from: { path: '^src/hub/apis/', pathNot: TEST_CODE },
      to: { path: '^src/hub/', pathNot: '^src/hub/apis/' },
    },
    {
      name: 'agent-imports',
      comment: 'src/agent/ may import only src/client/, src/controller/, src/machinery/ and src/hub/apis/.',
      severity: 'error',
      from: { path: '^src/agent/', pathNot: TEST_CODE },
      to: { path: '^src/', pathNot: '^src/(agent|client|controller|machinery|hub/apis|generated)/' },
    },
    {
      name: 'production-not-tests',
      comment:
        'Production code does not import tests, test support (*.testing.ts, testing/ folders) or test/ and bench/.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_CODE },
      to: { path: ['\\.test\\.ts$', '\\.testing\\.ts$', '/testing/', '^test/', '^bench/', '^scripts/'] },
    },
    {
      name: 'no-circular',
      comment: 'Modules form no cycle: split out what both sides need, or invert one dependency.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // swc cannot parse TSX here; the dashboard's .tsx views are held to the layers by biome's
    // noRestrictedImports (biome.json), the rest of src/web is checked here.
    exclude: { path: ['^node_modules', '^dist/', '\\.tsx$'] },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
