import { basename, dirname, join } from 'node:path'
import { AtomicWriter, DIR_MODE, type StoreFs } from '../store/fs.js'

/** Our temp files; the watcher filters by the exact name auth.json, so these never trigger it. */
export const TEMP_PREFIX = '.oma-auth-'

/**
 * How auth.json is written: the store's atomic writer (a 0600 temp file in the
 * same directory, fsync, rename, fsync the directory) over the injected file
 * system, so tests can make any step fail.
 */
export class CodexFileWriter {
  private readonly writer: AtomicWriter

  constructor(private readonly fs: StoreFs) {
    this.writer = new AtomicWriter(fs)
  }

  /** Creates the auth file's own directory (from the resolved path, not ~/.codex). */
  async ensureDir(file: string): Promise<string> {
    const dir = dirname(file)
    await this.fs.mkdir(dir, { recursive: true, mode: DIR_MODE })
    return dir
  }

  /** Replaces `file` only if `stillOk()` (run once the temp file is durable) says nothing changed meanwhile. */
  async write(file: string, bytes: Buffer, stillOk: () => Promise<boolean>): Promise<boolean> {
    await this.ensureDir(file)
    return this.writer.write(file, bytes, { tempPrefix: `${TEMP_PREFIX}${basename(file)}-`, beforeRename: stillOk })
  }

  /** Temp files of ours left by a crash hold live tokens: remove them (we are the only writer of them). */
  async sweepTemps(file: string): Promise<void> {
    const dir = dirname(file)
    const names = await this.fs.readdir(dir).catch(() => [] as string[])
    await Promise.all(
      names.filter((n) => n.startsWith(TEMP_PREFIX)).map((n) => this.fs.unlink(join(dir, n)).catch(() => {})),
    )
  }
}
