// Turns for background work, one at a time, each on its own turn of the event loop.
//
// In a real cluster the controller-manager, the scheduler and the kubelets are other processes
// than the API server. Simulated clusters run them in the API server's process, where a
// controller reacts to a write as a microtask of that write: a burst of requests then waits
// behind every reaction to the ones before it. A lane hands out one turn per turn of the event
// loop, so the I/O ready at that moment (requests, their bodies, watch readers) is served first.
// Keys wait; none is lost or reordered within its queue.

export class BackgroundLane {
  private readonly waiting: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  /** Resolves when it is the caller's turn: after the I/O that is ready now. */
  turn(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  /** Callers waiting for a turn. */
  get length(): number {
    return this.waiting.length - this.head;
  }

  private schedule(): void {
    if (this.scheduled || this.length === 0) return;
    this.scheduled = true;
    // An immediate set while immediates run waits for the next turn of the loop (after its poll).
    setImmediate(this.next);
  }

  private readonly next = (): void => {
    this.scheduled = false;
    const resolve = this.waiting[this.head++];
    // Drop the front now and then rather than shifting on every turn.
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
    resolve?.();
  };
}
