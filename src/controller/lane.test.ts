import { stat } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BackgroundLane } from './lane.js';

describe('BackgroundLane', () => {
  it('hands out turns in the order they were asked for, never within the asking task', async () => {
    const lane = new BackgroundLane();
    const order: string[] = [];
    const turns = ['a', 'b', 'c'].map((name) => lane.turn().then(() => order.push(name)));
    await Promise.resolve();
    order.push('after the asking task');
    await Promise.all(turns);
    expect(order).toEqual(['after the asking task', 'a', 'b', 'c']);
    expect(lane.length).toBe(0);
  });

  it('lets I/O that completes meanwhile in between two turns', async () => {
    const lane = new BackgroundLane();
    let ioDone = false;
    stat(import.meta.dirname, () => {
      ioDone = true;
    });
    // Each turn asks for the next, as a controller's worker does after each key: without the lane
    // it would never let the file system's answer in and stop only at the cap.
    let turns = 0;
    while (!ioDone && turns < 1_000_000) {
      await lane.turn();
      turns++;
    }
    expect(ioDone).toBe(true);
    expect(turns).toBeLessThan(1_000_000);
  });
});
