// Child process of the durability test: opens a store by spec and writes under load until it is
// killed, printing one JSON line per acknowledged write (stdout to a pipe is synchronous, so a
// printed line means the write was acknowledged before the kill).
//
//   node --import tsx src/storage/durability-writer.testing.ts '{"spec":"sqlite:/tmp/db","options":{}}'

import { openStore } from './open.js';
import type { KeyValue } from './store.js';
import { ConflictError } from './store.js';

const { spec, options, payloadBytes } = JSON.parse(process.argv[2] ?? '{}') as {
  spec: string;
  options?: object;
  payloadBytes: number;
};
const payload = 'x'.repeat(payloadBytes);
const store = await openStore(spec, options);
const prefix = '/registry/core/configmaps/durability/';

async function writer(id: number): Promise<void> {
  const counterKey = `${prefix}counter-${id}`;
  let counter: KeyValue = await store.create(counterKey, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `counter-${id}` },
    count: 0,
  });
  for (let n = 0; ; n++) {
    try {
      if (n % 4 === 3) {
        // A compare-and-swap increment, like a controller updating status.
        const count = (counter.value.count as number) + 1;
        counter = await store.update(counterKey, { ...counter.value, count }, counter.modRevision);
        process.stdout.write(
          `${JSON.stringify({ key: counterKey, revision: counter.modRevision, count })}\n`,
        );
      } else {
        const name = `w${id}-${n}`;
        const kv = await store.create(`${prefix}${name}`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name },
          data: { writer: String(id), n: String(n), payload },
        });
        process.stdout.write(`${JSON.stringify({ key: kv.key, revision: kv.modRevision })}\n`);
      }
    } catch (err) {
      if (err instanceof ConflictError) counter = err.current;
      // Anything else (the backend going away) is simply not acknowledged; keep writing.
      else await new Promise((r) => setTimeout(r, 10));
    }
  }
}

await Promise.all(Array.from({ length: 8 }, (_, i) => writer(i)));
