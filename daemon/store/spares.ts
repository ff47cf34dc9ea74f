import type { StoreFs } from './fs.js'

/** Enough for the store's steady state (one write replaces the store file and `.bak`). */
const MAX_SPARES = 3

/**
 * Replaced files kept for reuse as temp files. Replacing a 2 MB file frees its blocks, and
 * writing a fresh temp file allocates them again, which costs as much as the write itself:
 * instead the file about to be replaced is first linked under a temp name, and a later write
 * overwrites it in place before renaming it into place (AtomicWriter). A spare is overwritten
 * only once a directory sync has made its detachment from every name the store reads durable
 * (before that, a power cut could bring back a name that points at it), and only while it is
 * the one link to its file (AtomicWriter checks). Spares are temp files by name, so a crashed
 * writer's are removed at the next start like any stale temp.
 */
export class Spares {
  private ready: string[] = []
  private detached: string[] = []

  constructor(
    private readonly fs: StoreFs,
    /** A fresh temp file name in the store's directory. */
    private readonly name: () => string,
  ) {}

  /** A spare safe to overwrite now, if there is one. */
  take(): string | undefined {
    return this.ready.pop()
  }

  /** Keeps the file at `target`, about to be replaced, as a spare. Best effort. */
  async keep(target: string): Promise<void> {
    if (this.ready.length + this.detached.length >= MAX_SPARES) return
    const spare = this.name()
    try {
      await this.fs.link(target, spare)
      this.detached.push(spare)
    } catch {
      // No file there yet, or a file system without hard links: the replace frees it, as before.
    }
  }

  /** The directory was synced: what was detached before that may now be overwritten. */
  synced(): void {
    this.ready.push(...this.detached)
    this.detached = []
  }

  /** A spare that could not be used (AtomicWriter gave up on it): forget its name. */
  async drop(spare: string): Promise<void> {
    await this.fs.unlink(spare).catch(() => {})
  }

  async clear(): Promise<void> {
    const all = [...this.ready, ...this.detached]
    this.ready = []
    this.detached = []
    await Promise.all(all.map((s) => this.drop(s)))
  }
}
