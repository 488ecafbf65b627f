/**
 * One step's log on its way from the container to the {@link LogSink}: demultiplexed, then per stream (stdout,
 * stderr) decoded, masked and split into lines, capped in size and sent in chunks. A Writable, so that a slow sink
 * slows the attach stream and so the container, instead of letting lines pile up in memory.
 *
 * Once the cap is reached the attach stream is closed rather than read and thrown away: with nobody attached and
 * the `none` log driver, Docker drops what the step prints and the step runs on at full speed. Reading on would
 * cost a socket buffer per 64 KB, which only a garbage collection frees: about 64 MB of growth while a step
 * prints 100 MB past a 10 MB cap, measured.
 */

import { type Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Logger, LogLine, LogSink } from '../core/index.ts';
import { FrameDemuxer, type FramePayload } from './frame-demuxer.ts';
import { LineSplitter } from './line-splitter.ts';
import type { Masker, StreamMasker } from './log-masker.ts';

export interface StepLogOptions {
  step: string;
  sink: LogSink;
  masker: Masker;
  logger: Logger;
  limitBytes: number;
  chunkLines: number;
  flushMs: number;
  /** Number of the first line; a re-attached log continues after what is stored. */
  firstLine?: number;
  /** When the step started (ms since the epoch), for line times; default now. */
  startedAt?: number;
}

const MAX_LINE_CHARS = 64 * 1024;

/** One output stream of the step: its own decoder, masker and line splitter, so streams never split each other. */
interface OutputStream {
  decoder: StringDecoder;
  masker: StreamMasker;
  lines: LineSplitter;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

export class StepLog extends Writable {
  readonly #options: StepLogOptions;
  readonly #demuxer = new FrameDemuxer();
  readonly #streams = new Map<number, OutputStream>();
  readonly #startedAt: number;
  #bytes = 0;
  #truncated = false;
  #lineNumber: number;
  #buffer: LogLine[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  #sinkFailed = false;

  constructor(options: StepLogOptions) {
    super();
    this.#options = options;
    this.#startedAt = options.startedAt ?? Date.now();
    this.#lineNumber = options.firstLine ?? 0;
  }

  /**
   * Adds a line written by the runner itself (pull progress, errors), masked like the container's output. Once
   * the container's output has ended, follow it with {@link flush} so that it reaches the sink.
   */
  note(text: string): void {
    this.#add(this.#options.masker.mask(text).split('\n'));
  }

  /**
   * Takes the output of `stream` (Docker's multiplexed attach stream) until it ends or breaks, or until the cap is
   * reached (then the stream is closed); resolves once the log is complete and ended at the sink. A broken stream
   * goes to `onBreak`; what arrived before it is kept.
   */
  async follow(stream: Readable, onBreak: (error: Error) => void): Promise<void> {
    const endLog = () => {
      if (!this.writableEnded) this.end();
    };
    stream.once('error', (error) => {
      onBreak(error);
      endLog();
    });
    stream.once('close', endLog);
    this.once('truncated', () => {
      stream.unpipe(this);
      stream.destroy();
      endLog();
    });
    stream.pipe(this);
    await finished(this);
  }

  /** Ends a log that no container writes to (the step failed before its container ran). */
  async close(): Promise<void> {
    this.end();
    await finished(this);
  }

  /** Sends what is buffered now; resolves once every line so far reached the sink (or the sink failed). */
  async flush(): Promise<void> {
    this.#send();
    await this.#sending;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    for (const payload of this.#demuxer.push(chunk)) this.#accept(payload);
    if (this.#buffer.length >= this.#options.chunkLines) {
      this.#send();
      this.#sending.then(() => callback(), callback);
    } else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#truncated) this.#endStreams();
    this.flush()
      .then(() => this.#end())
      .then(() => callback(), callback);
  }

  async #end(): Promise<void> {
    const { sink, step, logger } = this.#options;
    try {
      await sink.end?.(step);
    } catch (error) {
      logger.error('runner: log sink failed to end a step log', { step, error: String(error) });
    }
  }

  #accept({ stream, bytes }: FramePayload): void {
    if (this.#truncated) return;
    const room = this.#options.limitBytes - this.#bytes;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    this.#bytes += kept.length;
    const output = this.#stream(stream);
    this.#add(output.lines.push(output.masker.push(output.decoder.write(kept))));
    if (kept.length < bytes.length) {
      this.#truncated = true;
      this.#endStreams();
      this.#add([
        `drone-gogs: log truncated: this step printed more than ${formatBytes(this.#options.limitBytes)}; the rest of its output is not kept`,
      ]);
      queueMicrotask(() => this.emit('truncated'));
    }
  }

  #stream(id: number): OutputStream {
    let output = this.#streams.get(id);
    if (output === undefined) {
      output = {
        decoder: new StringDecoder('utf8'),
        masker: this.#options.masker.stream(),
        lines: new LineSplitter(MAX_LINE_CHARS),
      };
      this.#streams.set(id, output);
    }
    return output;
  }

  /**
   * Ends every stream: what each held back comes out, a tail that could start a secret masked. The bytes of a
   * character cut in two come after that, as U+FFFD: decoded first, they would end the tail that is a secret's start.
   */
  #endStreams(): void {
    for (const { decoder, masker, lines } of this.#streams.values()) {
      const rest = masker.end() + decoder.end();
      this.#add(lines.push(rest).concat(lines.end()));
    }
  }

  #add(texts: string[]): void {
    if (texts.length === 0) return;
    const time = Math.floor((Date.now() - this.#startedAt) / 1000);
    for (const text of texts) this.#buffer.push({ number: this.#lineNumber++, text, time });
    this.#timer ??= setTimeout(() => this.#send(), this.#options.flushMs);
  }

  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer.length === 0) return;
    const lines = this.#buffer;
    this.#buffer = [];
    const { sink, step, logger } = this.#options;
    this.#sending = this.#sending.then(async () => {
      if (this.#sinkFailed) return;
      try {
        await sink.write(step, lines);
      } catch (error) {
        this.#sinkFailed = true;
        logger.error('runner: log sink failed; dropping the rest of the step log', {
          step,
          error: String(error),
        });
      }
    });
  }
}
