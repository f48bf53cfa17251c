// Controller expectations, as Kubernetes' controllers keep them: after asking for N creations or
// deletions, a controller waits until its informer has seen them before it acts on the same
// object again, so that a burst of creates is not repeated from a cache that is behind. Deletions
// are tracked by pod key so each is counted once (on the update that sets deletionTimestamp or on
// the delete). Expectations expire after 5 minutes, in case an event was lost.

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  del: number;
  at: number;
}

export class ControllerExpectations {
  private readonly expectations = new Map<string, Expectation>();
  private readonly deletions = new Map<string, Set<string>>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** True when the controller may act on `key`: nothing expected, all observed, or expired. */
  satisfied(key: string): boolean {
    const e = this.expectations.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del <= 0) return true;
    return this.now().getTime() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Pending (adds, deletes), for logs and tests. */
  pending(key: string): { add: number; del: number } | undefined {
    const e = this.expectations.get(key);
    return e ? { add: e.add, del: e.del } : undefined;
  }

  expectCreations(key: string, count: number): void {
    this.expect(key, count, []);
  }

  /** Expect these pods (by "namespace/name") to be deleted. */
  expectDeletions(key: string, podKeys: string[]): void {
    this.expect(key, 0, podKeys);
  }

  /** Expect `creations` new pods and the deletion of these pods, replacing earlier expectations. */
  expect(key: string, creations: number, deletions: string[]): void {
    this.deletions.set(key, new Set(deletions));
    this.expectations.set(key, { add: creations, del: deletions.length, at: this.now().getTime() });
  }

  /** Counts one creation; true when that fulfilled the expectations. */
  creationObserved(key: string): boolean {
    const e = this.expectations.get(key);
    if (!e) return false;
    e.add--;
    return e.add === 0 && e.del <= 0;
  }

  /** Counts the deletion of podKey once, if it was expected; true when that fulfilled the expectations. */
  deletionObserved(key: string, podKey: string): boolean {
    const expected = this.deletions.get(key);
    if (!expected?.delete(podKey)) return false;
    const e = this.expectations.get(key);
    if (!e) return false;
    e.del--;
    return e.del === 0 && e.add <= 0;
  }

  /** Lowers the expected creations: for creates that were never attempted or failed. */
  lowerCreations(key: string, count: number): void {
    const e = this.expectations.get(key);
    if (e) e.add -= count;
  }

  delete(key: string): void {
    this.expectations.delete(key);
    this.deletions.delete(key);
  }
}
