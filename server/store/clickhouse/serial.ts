/**
 * A promise-chain mutex: what runs through one Serial runs one at a time, in call order. ClickHouse
 * has no transactions, so a domain's read-modify-write sequences go through its Serial to be
 * atomic within this collector; a failed step does not stop the ones queued after it.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.tail.then(step, step);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
