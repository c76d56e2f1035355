/**
 * Collects finished records and hands them to the sink in batches: every
 * BATCH_INTERVAL_MS, or sooner when a batch reaches its record or byte cap.
 * Posting per request would halve throughput; 16 ms batches cost ~10%.
 */
import { RecordBatchBuilder, type RecordParts } from '../common/record-batch';
import type { CaptureSink } from './capture-sink';

export const DEFAULT_BATCH_INTERVAL_MS = 16;
export const DEFAULT_BATCH_MAX_RECORDS = 1024;
/** Flush early past this many bytes, so one batch never holds a huge body capture for long. */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;

export class CaptureBatcher {
  private readonly builder: RecordBatchBuilder;
  private timer: NodeJS.Timeout | null = null;
  delivered = 0;
  batches = 0;

  constructor(
    private readonly sink: CaptureSink,
    private readonly intervalMs = DEFAULT_BATCH_INTERVAL_MS,
    private readonly maxRecords = DEFAULT_BATCH_MAX_RECORDS,
    private readonly onSinkError: (err: unknown) => void = () => {},
  ) {
    this.builder = new RecordBatchBuilder(256 * 1024, maxRecords);
  }

  /** Copies the record in; the caller's buffers may be reused right after. */
  add(parts: RecordParts): void {
    if (this.builder.count === 0) this.timer = setTimeout(() => this.flush(), this.intervalMs);
    this.builder.add(parts);
    if (this.builder.count >= this.maxRecords || this.builder.byteSize >= BATCH_MAX_BYTES) this.flush();
  }

  /** Deliver what is collected now. A throwing sink loses that batch's delivery but not the engine. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.builder.count === 0) return;
    const batch = this.builder.take();
    this.delivered += batch.count;
    this.batches++;
    try {
      this.sink.deliver(batch);
    } catch (err) {
      this.onSinkError(err);
    }
  }
}
