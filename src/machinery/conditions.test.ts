import { describe, expect, it } from 'vitest';
import { findCondition, isConditionTrue, setCondition, withoutCondition } from './conditions.js';
import type { Condition } from './object.js';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:05:00Z';

describe('conditions', () => {
  const ready: Condition = { type: 'Ready', status: 'True', reason: 'Up', lastTransitionTime: T0 };

  it('finds a condition by type and tells whether it is True', () => {
    expect(findCondition([ready], 'Ready')).toBe(ready);
    expect(findCondition([ready], 'Synced')).toBeUndefined();
    expect(findCondition(undefined, 'Ready')).toBeUndefined();
    expect(isConditionTrue([ready], 'Ready')).toBe(true);
    expect(isConditionTrue([{ ...ready, status: 'Unknown' }], 'Ready')).toBe(false);
    expect(isConditionTrue([], 'Ready')).toBe(false);
  });

  it('keeps the transition time when the status does not change, and takes the new reason', () => {
    const out = setCondition([ready], { type: 'Ready', status: 'True', reason: 'StillUp' }, T1);
    expect(out).toEqual([{ type: 'Ready', status: 'True', reason: 'StillUp', lastTransitionTime: T0 }]);
  });

  it('moves the transition time to now when the status changes', () => {
    const out = setCondition([ready], { type: 'Ready', status: 'False', reason: 'Down' }, T1);
    expect(out).toEqual([{ type: 'Ready', status: 'False', reason: 'Down', lastTransitionTime: T1 }]);
  });

  it("takes the new condition's own transition time when it gives one", () => {
    const out = setCondition([], { type: 'Ready', status: 'False', lastTransitionTime: T0 }, T1);
    expect(out).toEqual([{ type: 'Ready', status: 'False', lastTransitionTime: T0 }]);
  });

  it('appends a new type, keeps the order of the others and does not change its input', () => {
    const synced: Condition = { type: 'Synced', status: 'True', lastTransitionTime: T0 };
    const input = [ready, synced];
    const out = setCondition(input, { type: 'Ready', status: 'False' }, T1);
    expect(out.map((c) => c.type)).toEqual(['Ready', 'Synced']);
    expect(input[0]).toEqual(ready);
    expect(setCondition(input, { type: 'Stalled', status: 'True' }, T1).map((c) => c.type)).toEqual([
      'Ready',
      'Synced',
      'Stalled',
    ]);
  });

  it('removes a condition by type', () => {
    expect(withoutCondition([ready], 'Ready')).toEqual([]);
    expect(withoutCondition([ready], 'Other')).toEqual([ready]);
    expect(withoutCondition(undefined, 'Ready')).toEqual([]);
  });
});
