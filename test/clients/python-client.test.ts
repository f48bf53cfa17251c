// The official Python client (Debian's python3-kubernetes) lists and watches against our server,
// on each durable store.

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApiServer, type TestApiServer } from '../support/apiserver.js';
import { pythonWithKubernetes } from '../support/python.js';
import { DURABLE_STORES } from '../support/stores.js';

const run = promisify(execFile);

const SCRIPT = `
import json, sys, threading, time
from kubernetes import client, config, watch

config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
out = {}
out["namespaces"] = sorted(ns.metadata.name for ns in v1.list_namespace().items)
v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
first = v1.create_namespaced_config_map("py", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="one"), data={"k": "v"}))
page = v1.list_namespaced_config_map("py", limit=1)
out["page"] = [cm.metadata.name for cm in page.items]

events = []
def changes():
    time.sleep(0.5)
    cm = v1.read_namespaced_config_map("one", "py")
    cm.data["k"] = "changed"
    v1.replace_namespaced_config_map("one", "py", cm)
    v1.delete_namespaced_config_map("one", "py")
threading.Thread(target=changes).start()
w = watch.Watch()
for e in w.stream(v1.list_namespaced_config_map, "py", resource_version=first.metadata.resource_version, timeout_seconds=10):
    events.append([e["type"], e["object"].metadata.name, (e["object"].data or {}).get("k")])
    if e["type"] == "DELETED":
        w.stop()
out["events"] = events
print(json.dumps(out))
`;

describe.each(DURABLE_STORES)('Python kubernetes client [%s]', (store) => {
  let server: TestApiServer;
  beforeAll(async () => {
    server = await startTestApiServer({ store });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists, pages and watches', async () => {
    const script = join(server.dir, 'client.py');
    await writeFile(script, SCRIPT);
    const { stdout } = await run(pythonWithKubernetes(), [script, server.kubeconfigPath], {
      timeout: 60_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
      namespaces: string[];
      page: string[];
      events: [string, string, string][];
    };
    expect(out.namespaces).toEqual(expect.arrayContaining(['default', 'kube-system']));
    expect(out.page).toEqual(['one']);
    expect(out.events).toEqual([
      ['MODIFIED', 'one', 'changed'],
      ['DELETED', 'one', 'changed'],
    ]);
  });
});
