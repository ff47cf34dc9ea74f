/**
 * The one serial queue: jobs run one at a time, in the order they were queued,
 * and a job that fails does not stop the ones after it (its caller gets the
 * rejection). The store serializes its writes with it, the Codex sync its
 * reads and write-backs.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job)
    this.tail = run.catch(() => {})
    return run
  }

  /** Resolves once every job queued so far has finished (never rejects). */
  async idle(): Promise<void> {
    await this.tail
  }
}
