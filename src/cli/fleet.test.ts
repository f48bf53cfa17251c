import { describe, expect, it } from 'vitest';
import { fleetPlan } from './fleet.js';

describe('fleetPlan', () => {
  it('spreads the fleet over europe, us and asia in turn', () => {
    expect(fleetPlan(5)).toEqual([
      { name: 'europe-1', region: 'europe' },
      { name: 'us-1', region: 'us' },
      { name: 'asia-1', region: 'asia' },
      { name: 'europe-2', region: 'europe' },
      { name: 'us-2', region: 'us' },
    ]);
    expect(fleetPlan(0)).toEqual([]);
  });
});
