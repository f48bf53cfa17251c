import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedHeap } from './indexed-heap.js';

interface Item {
  id: number;
  key: number;
  heapIndex: number;
}

const byKeyThenId = (a: Item, b: Item) => a.key < b.key || (a.key === b.key && a.id < b.id);

describe('IndexedHeap', () => {
  it('gives entries out in order through any mix of pushes, pops, removals and key changes', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('push' as const), key: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ op: fc.constant('pop' as const) }),
      fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ op: fc.constant('rekey' as const), pick: fc.nat(), key: fc.integer({ min: 0, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new IndexedHeap<Item>(byKeyThenId);
        // The model: the same entries, sorted on demand.
        let model: Item[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.op === 'push') {
            const item = { id: next++, key: o.key, heapIndex: -1 };
            heap.push(item);
            model.push(item);
          } else if (o.op === 'pop') {
            model.sort((a, b) => (byKeyThenId(a, b) ? -1 : 1));
            const want = model.shift();
            const got = heap.pop();
            expect(got).toBe(want);
            if (got) expect(got.heapIndex).toBe(-1);
          } else if (model.length > 0) {
            const item = model[o.pick % model.length]!;
            if (o.op === 'remove') {
              heap.remove(item);
              model = model.filter((m) => m !== item);
              expect(heap.has(item)).toBe(false);
              heap.remove(item); // a second removal changes nothing
            } else {
              item.key = o.key;
              heap.fix(item);
            }
          }
          expect(heap.size).toBe(model.length);
          for (const m of model) expect(heap.has(m)).toBe(true);
        }
        model.sort((a, b) => (byKeyThenId(a, b) ? -1 : 1));
        const rest: Item[] = [];
        for (let x = heap.pop(); x; x = heap.pop()) rest.push(x);
        expect(rest).toEqual(model);
      }),
    );
  });

  it('knows which heap an entry is in, and forgets every entry on clear', () => {
    const a = new IndexedHeap<Item>(byKeyThenId);
    const b = new IndexedHeap<Item>(byKeyThenId);
    const x = { id: 1, key: 1, heapIndex: -1 };
    const y = { id: 2, key: 2, heapIndex: -1 };
    a.push(x);
    b.push(y);
    expect([a.has(x), b.has(x), a.has(y), b.has(y)]).toEqual([true, false, false, true]);
    // Removing from the wrong heap leaves both alone.
    b.remove(x);
    expect(a.peek()).toBe(x);
    expect(b.peek()).toBe(y);
    a.clear();
    expect(a.size).toBe(0);
    expect(a.has(x)).toBe(false);
    expect(x.heapIndex).toBe(-1);
  });
});
