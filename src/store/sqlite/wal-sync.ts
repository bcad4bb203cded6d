// Making committed WAL frames durable off the event loop: fdatasync of the -wal file on libuv's thread pool.
// With synchronous=FULL, SQLite fsyncs inside COMMIT and blocks the event loop for the whole flush
// (measured ≈ 250 µs here, far more under load); syncing the WAL file ourselves after a NORMAL commit
// gives the same durability while the next batch is already being decided and committed.
import { closeSync, fdatasync, fdatasyncSync, openSync, statSync } from "node:fs";
import { promisify } from "node:util";

const fdatasyncAsync = promisify(fdatasync);

export class WalSync {
  private readonly walPath: string;
  private fd: number | undefined;
  private inode: number | undefined;

  constructor(databasePath: string) {
    this.walPath = `${databasePath}-wal`;
  }

  /**
   * Flushes everything written to the WAL so far. No WAL file means every commit was already
   * checkpointed into the database file, which SQLite syncs itself (synchronous=NORMAL).
   */
  async sync(): Promise<void> {
    const fd = this.descriptor();
    if (fd !== undefined) await fdatasyncAsync(fd);
  }

  /** The same on this thread: for a lone commit, where the hop to the thread pool costs more than it saves. */
  syncNow(): void {
    const fd = this.descriptor();
    if (fd !== undefined) fdatasyncSync(fd);
  }

  private descriptor(): number | undefined {
    const stat = statSync(this.walPath, { throwIfNoEntry: false });
    if (!stat) return undefined;
    if (this.fd === undefined || stat.ino !== this.inode) {
      this.close();
      this.fd = openSync(this.walPath, "r");
      this.inode = stat.ino;
    }
    return this.fd;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
