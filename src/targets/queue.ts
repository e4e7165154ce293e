/**
 * The queue of a remote target: records wait here, in order, until the transport has handed
 * them to the operating system, and stay a little longer (the resend window) so that the
 * records a receiver may have lost when a connection broke are sent again.
 *
 * Two implementations: {@link MemoryQueue} (bounded by a record count) and {@link SpoolQueue}
 * (an append-only file in a folder, which survives a restart of the process).
 *
 * @module
 */
import * as fs from "node:fs";
import { join } from "node:path";
import { makeFolders, NODE_FILE_SYSTEM } from "../output/rolling-file.js";

/** A record in a queue: its bytes, and when the transport handed it to the operating system. */
export interface QueuedRecord {
  readonly bytes: Buffer;
  /** Epoch ms when the write completed, or undefined while it has not. */
  flushedAt: number | undefined;
  /** @internal Position in the queue (index or file offset). */
  readonly position: number;
  /** @internal The position just after it. */
  readonly end: number;
}

/** What was dropped because the queue was full. */
export interface QueueDrops {
  readonly count: number;
  readonly from: number;
  readonly to: number;
}

/** The queue interface the transports use. */
export interface DeliveryQueue {
  /** Adds a record at the end; false when the queue is full (the record is counted as dropped). */
  push(bytes: Buffer, now: number): boolean;
  /** Whether a record would be accepted now. */
  hasRoom(): boolean;
  /** Adds a record even when full (the drop record itself). */
  pushAlways(bytes: Buffer): void;
  /** The next record not yet sent, or undefined. */
  next(): QueuedRecord | undefined;
  /** After a connection broke: records sent but not flushed, or flushed within `windowMs`, become unsent again. */
  rewind(now: number, windowMs: number): number;
  /** Forgets sent records flushed more than `windowMs` ago. */
  settle(now: number, windowMs: number): void;
  /** Records not yet sent. */
  readonly unsent: number;
  /** Records sent and kept for the resend window. */
  readonly inflight: number;
  /** Takes and resets the count of records dropped since the last call. */
  takeDrops(): QueueDrops | undefined;
  /** Records dropped in all. */
  readonly droppedTotal: number;
  /** Changes the capacity (a reload). */
  setCapacity(capacity: number): void;
  /** Takes every record not yet sent, for a new target after a reload (records in the resend window were sent). */
  handOver(): Buffer[];
  /** Releases files. */
  close(): void;
}

/** Counting of drops, shared by both queues. */
class Drops {
  count = 0;
  total = 0;
  from = 0;
  to = 0;
  note(now: number): void {
    if (this.count === 0) this.from = now;
    this.count++;
    this.total++;
    this.to = now;
  }
  take(): QueueDrops | undefined {
    if (this.count === 0) return undefined;
    const report = { count: this.count, from: this.from, to: this.to };
    this.count = 0;
    return report;
  }
}

/**
 * A queue in memory, bounded by a number of records (waiting and in the resend window
 * together; records in the window are forgotten first when room is needed).
 *
 * @example
 * ```ts
 * const queue = new MemoryQueue(10000);
 * queue.push(Buffer.from("12 <110>1 - - -"), Date.now());
 * ```
 */
export class MemoryQueue implements DeliveryQueue {
  private items: QueuedRecord[] = [];
  private head = 0;
  private cursor = 0;
  private readonly drops = new Drops();

  constructor(private capacity: number) {}

  get unsent(): number {
    return this.items.length - this.cursor;
  }

  get inflight(): number {
    return this.cursor - this.head;
  }

  get droppedTotal(): number {
    return this.drops.total;
  }

  hasRoom(): boolean {
    return this.items.length - this.cursor < this.capacity;
  }

  push(bytes: Buffer, now: number): boolean {
    if (this.items.length - this.head >= this.capacity) {
      // Make room by giving up the resend window before refusing a new record; but only a record
      // the operating system has taken. One written and not yet taken (the receiver is slow or
      // does not read) is kept, to be sent again if the connection breaks: forgetting it would
      // lose it uncounted. Those are bounded by the socket's buffer, not by the capacity.
      if (this.cursor > this.head && (this.items[this.head] as QueuedRecord).flushedAt !== undefined) {
        this.head++;
        this.compact();
      } else if (this.items.length - this.cursor >= this.capacity) {
        this.drops.note(now);
        return false;
      }
    }
    this.pushAlways(bytes);
    return true;
  }

  pushAlways(bytes: Buffer): void {
    const position = this.items.length;
    this.items.push({ bytes, flushedAt: undefined, position, end: position + 1 });
  }

  next(): QueuedRecord | undefined {
    if (this.cursor >= this.items.length) return undefined;
    return this.items[this.cursor++];
  }

  rewind(now: number, windowMs: number): number {
    let i = this.head;
    while (i < this.cursor) {
      const flushed = (this.items[i] as QueuedRecord).flushedAt;
      if (flushed === undefined || flushed >= now - windowMs) break;
      i++;
    }
    this.head = i;
    const resent = this.cursor - i;
    for (let j = i; j < this.cursor; j++) (this.items[j] as QueuedRecord).flushedAt = undefined;
    this.cursor = i;
    this.compact();
    return resent;
  }

  settle(now: number, windowMs: number): void {
    while (this.head < this.cursor) {
      const flushed = (this.items[this.head] as QueuedRecord).flushedAt;
      if (flushed === undefined || flushed >= now - windowMs) break;
      this.head++;
    }
    this.compact();
  }

  takeDrops(): QueueDrops | undefined {
    return this.drops.take();
  }

  setCapacity(capacity: number): void {
    this.capacity = capacity;
  }

  handOver(): Buffer[] {
    const rest = this.items.slice(this.cursor).map((r) => r.bytes);
    this.items = [];
    this.head = this.cursor = 0;
    return rest;
  }

  close(): void {
    // Nothing to release.
  }

  private compact(): void {
    // Drop the forgotten prefix now and then, not on every record.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.cursor -= this.head;
      this.head = 0;
    }
  }
}

const HEADER = 4;
/** Spool folders open in this process: a folder has one queue at a time. */
const openSpools = new Set<string>();
/** At most this many sent records are kept for the resend window of a spool (beyond, the oldest count as delivered). */
const MAX_WINDOW = 65_536;
/** Room kept for a drop record before it is written. */
const DROP_RECORD_ROOM = 512;
/** Saved delivered position: written at most this often while records flow. */
const SAVE_EVERY_MS = 200;

/**
 * A queue in a folder: `queue.dat` holds every record (a 4-byte big-endian length, then the
 * bytes), written synchronously before it is sent, and `queue.pos` the offset up to which
 * everything was delivered (and left the resend window). After a crash or restart the records
 * from that offset are sent again (at-least-once). `owner` holds the pid of the process using it.
 *
 * @example
 * ```ts
 * const queue = SpoolQueue.open("/var/spool/app/siem", 1024 ** 3);
 * ```
 */
export class SpoolQueue implements DeliveryQueue {
  private readonly drops = new Drops();
  private fd: number;
  /** End of the file (where the next record is appended). */
  private size: number;
  /** Offset of the first record not yet delivered (the saved position). */
  private delivered: number;
  /** Offset of the next record to send. */
  private readOffset: number;
  private unsentCount: number;
  private readonly window: QueuedRecord[] = [];
  private lastSave = 0;
  private savedPosition: number;
  /** The size of the last record dropped for want of room. */
  private lastDropped = 0;

  private constructor(
    private readonly folder: string,
    private maxBytes: number,
    fd: number,
    size: number,
    delivered: number,
    unsent: number,
  ) {
    this.fd = fd;
    this.size = size;
    this.delivered = delivered;
    this.readOffset = delivered;
    this.unsentCount = unsent;
    this.savedPosition = delivered;
  }

  /**
   * Opens (or creates) the spool in `folder`. Throws an Error naming the folder when it cannot
   * be used (not writable, or used by another live process).
   */
  static open(folder: string, maxBytes: number, framing = ""): SpoolQueue {
    if (openSpools.has(folder)) throw new Error(`the spool ${folder} is already used by another target of this process`);
    // Bounded, unlike a recursive mkdir (which never returns for a folder under /proc).
    makeFolders(NODE_FILE_SYSTEM, folder);
    const ownerPath = join(folder, "owner");
    try {
      const pid = Number(fs.readFileSync(ownerPath, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`the spool ${folder} is in use by process ${pid}; give every process its own spool folder`);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    fs.writeFileSync(ownerPath, String(process.pid), { mode: 0o640 });
    const dataPath = join(folder, "queue.dat");
    const fd = fs.openSync(dataPath, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o640);
    let size = fs.fstatSync(fd).size;
    let delivered = 0;
    try {
      delivered = Number(fs.readFileSync(join(folder, "queue.pos"), "utf8").trim());
      if (!Number.isSafeInteger(delivered) || delivered < 0 || delivered > size) delivered = 0;
    } catch {
      delivered = 0;
    }
    // Count the records waiting, and cut a record a crash left half-written.
    let offset = delivered;
    let unsent = 0;
    const header = Buffer.alloc(HEADER);
    while (offset + HEADER <= size) {
      fs.readSync(fd, header, 0, HEADER, offset);
      const length = header.readUInt32BE(0);
      if (offset + HEADER + length > size) break;
      offset += HEADER + length;
      unsent++;
    }
    if (offset < size) {
      fs.ftruncateSync(fd, offset);
      size = offset;
    }
    // Records framed for another protocol or format (the target was changed while the process
    // was down) must not be sent as they are: they are moved aside, whole, and reported.
    const framingPath = join(folder, "framing");
    let stale: { path: string; records: number } | undefined;
    let previous: string | undefined;
    try {
      previous = fs.readFileSync(framingPath, "utf8");
    } catch {
      previous = undefined;
    }
    if (previous !== undefined && previous !== framing && unsent > 0) {
      const path = join(folder, `queue.dat.stale-${Date.now()}`);
      fs.closeSync(fd);
      fs.renameSync(dataPath, path);
      stale = { path, records: unsent };
      fs.rmSync(join(folder, "queue.pos"), { force: true });
      const fresh = fs.openSync(dataPath, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o640);
      openSpools.add(folder);
      fs.writeFileSync(framingPath, framing, { mode: 0o640 });
      const queue = new SpoolQueue(folder, maxBytes, fresh, 0, 0, 0);
      queue.stale = stale;
      return queue;
    }
    if (previous !== framing) fs.writeFileSync(framingPath, framing, { mode: 0o640 });
    openSpools.add(folder);
    return new SpoolQueue(folder, maxBytes, fd, size, delivered, unsent);
  }

  /** Records found framed for another target setting, moved aside to this file when the spool was opened. */
  stale: { readonly path: string; readonly records: number } | undefined;

  get unsent(): number {
    return this.unsentCount;
  }

  get inflight(): number {
    return this.window.length;
  }

  get droppedTotal(): number {
    return this.drops.total;
  }

  /** Room for the drop record and one more record like the last one dropped. */
  hasRoom(): boolean {
    return this.makeRoom(DROP_RECORD_ROOM + this.lastDropped);
  }

  /** Gives up the resend window (records already handed to the OS) until `bytes` more fit; returns whether they do. */
  private makeRoom(bytes: number): boolean {
    while (this.size - this.delivered + bytes > this.maxBytes && this.window.length > 0 && (this.window[0] as QueuedRecord).flushedAt !== undefined) {
      this.delivered = (this.window.shift() as QueuedRecord).end;
    }
    return this.size - this.delivered + bytes <= this.maxBytes;
  }

  push(bytes: Buffer, now: number): boolean {
    if (!this.makeRoom(HEADER + bytes.length)) {
      this.lastDropped = HEADER + bytes.length;
      this.drops.note(now);
      return false;
    }
    try {
      this.append(bytes);
      return true;
    } catch {
      // The disk refuses (full, read-only): this record is dropped and counted.
      this.drops.note(now);
      return false;
    }
  }

  pushAlways(bytes: Buffer): void {
    try {
      this.append(bytes);
    } catch {
      this.drops.note(Date.now());
    }
  }

  private append(bytes: Buffer): void {
    const framed = Buffer.allocUnsafe(HEADER + bytes.length);
    framed.writeUInt32BE(bytes.length, 0);
    bytes.copy(framed, HEADER);
    let written = 0;
    try {
      while (written < framed.length) written += fs.writeSync(this.fd, framed, written, framed.length - written, this.size + written);
    } catch (error) {
      // A partial record must not stay: the next one would be read from the middle of it.
      if (written > 0) fs.ftruncateSync(this.fd, this.size);
      throw error;
    }
    this.size += framed.length;
    this.unsentCount++;
  }

  next(): QueuedRecord | undefined {
    if (this.readOffset + HEADER > this.size) return undefined;
    const header = Buffer.alloc(HEADER);
    fs.readSync(this.fd, header, 0, HEADER, this.readOffset);
    const length = header.readUInt32BE(0);
    const bytes = Buffer.allocUnsafe(length);
    fs.readSync(this.fd, bytes, 0, length, this.readOffset + HEADER);
    const record: QueuedRecord = { bytes, flushedAt: undefined, position: this.readOffset, end: this.readOffset + HEADER + length };
    this.readOffset = record.end;
    this.unsentCount--;
    this.window.push(record);
    if (this.window.length > MAX_WINDOW) {
      // Bounded memory: the oldest sent record leaves the resend window early.
      this.delivered = (this.window.shift() as QueuedRecord).end;
    }
    return record;
  }

  rewind(now: number, windowMs: number): number {
    this.settle(now, windowMs);
    const resent = this.window.length;
    if (resent > 0) {
      this.readOffset = (this.window[0] as QueuedRecord).position;
      this.unsentCount += resent;
      this.window.length = 0;
    }
    return resent;
  }

  settle(now: number, windowMs: number): void {
    let i = 0;
    while (i < this.window.length) {
      const flushed = (this.window[i] as QueuedRecord).flushedAt;
      if (flushed === undefined || flushed >= now - windowMs) break;
      i++;
    }
    if (i > 0) {
      this.delivered = (this.window[i - 1] as QueuedRecord).end;
      this.window.splice(0, i);
    }
    if (this.delivered === this.size && this.window.length === 0 && this.size > 0) {
      // Everything delivered: start the file again (it would otherwise only grow). The saved
      // position must say 0 before the file is cut: a stale position pointing into the records
      // appended later would make the next process skip or misread them.
      const end = this.delivered;
      this.delivered = 0;
      if (this.save(now)) {
        try {
          fs.ftruncateSync(this.fd, 0);
          this.size = this.readOffset = 0;
        } catch {
          // Keep appending; the saved 0 resends what is in the file: duplicates, never a loss.
          this.delivered = 0;
        }
      } else {
        this.delivered = end;
      }
    }
    if (this.delivered !== this.savedPosition && now - this.lastSave >= SAVE_EVERY_MS) this.save(now);
  }

  /** Writes the delivered position (a new file renamed over the old one); returns whether it worked. */
  private save(now: number): boolean {
    const path = join(this.folder, "queue.pos");
    try {
      fs.writeFileSync(path + ".tmp", String(this.delivered), { mode: 0o640 });
      fs.renameSync(path + ".tmp", path);
      this.savedPosition = this.delivered;
      this.lastSave = now;
      return true;
    } catch {
      // Not saved: after a restart more records are sent again, none are lost.
      return false;
    }
  }

  takeDrops(): QueueDrops | undefined {
    return this.drops.take();
  }

  setCapacity(maxBytes: number): void {
    this.maxBytes = maxBytes;
  }

  /** The spool stays on disk for the next target using the folder; nothing to hand over. */
  handOver(): Buffer[] {
    return [];
  }

  close(): void {
    if (this.fd < 0) return;
    this.save(Date.now());
    openSpools.delete(this.folder);
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed.
    }
    try {
      if (Number(fs.readFileSync(join(this.folder, "owner"), "utf8")) === process.pid) fs.unlinkSync(join(this.folder, "owner"));
    } catch {
      // Gone already.
    }
    this.fd = -1;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
