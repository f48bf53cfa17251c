import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WatchDecodeError, WatchDecoder } from './watch-decoder.js';

const event = (name: string) => ({
  type: 'ADDED',
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
});

describe('WatchDecoder', () => {
  it('decodes events however the stream is cut into chunks, even inside a multi-byte character', () => {
    const events = [
      event('a'),
      event('ünïcødé-😀'),
      { type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } },
    ];
    const bytes = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const points = [0, ...cuts.sort((x, y) => x - y), bytes.length];
          const d = new WatchDecoder();
          const out = [];
          for (let i = 0; i + 1 < points.length; i++)
            out.push(...d.push(bytes.subarray(points[i], points[i + 1])));
          out.push(...d.end());
          expect(out).toEqual(events);
        },
      ),
    );
  });

  it('takes a last event without its newline at the end of the stream, and skips blank lines', () => {
    const d = new WatchDecoder();
    expect(d.push(Buffer.from(`\n${JSON.stringify(event('x'))}\n\n${JSON.stringify(event('y'))}`))).toEqual([
      event('x'),
    ]);
    expect(d.end()).toEqual([event('y')]);
    expect(d.end()).toEqual([]);
  });

  it('rejects lines that are not watch events, saying what was wrong', () => {
    expect(() => new WatchDecoder().push(Buffer.from('<html>\n'))).toThrow(WatchDecodeError);
    expect(() => new WatchDecoder().push(Buffer.from('{"type":"SOMETHING","object":{}}\n'))).toThrow(
      /no valid type/,
    );
    expect(() => new WatchDecoder().push(Buffer.from('{"type":"ADDED"}\n'))).toThrow(/has no object/);
  });
});
