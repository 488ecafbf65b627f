/**
 * Docker's multiplexed attach stream (no TTY): frames of an 8-byte header (stream type, 3 zero bytes, big-endian
 * payload length) followed by the payload. Frames may be split across chunks in any way. Each payload says which
 * stream it belongs to (1 stdout, 2 stderr), so that the streams are decoded and masked each on its own: a frame
 * of one stream between two frames of the other must not split a secret the other one printed.
 */
export interface FramePayload {
  stream: number;
  bytes: Buffer;
}

export class FrameDemuxer {
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #stream = 1;

  /** The payload bytes contained in `chunk`, in order, each with its stream. */
  push(chunk: Buffer): FramePayload[] {
    const payloads: FramePayload[] = [];
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, data.length);
        payloads.push({ stream: this.#stream, bytes: data.subarray(0, take) });
        this.#remaining -= take;
        data = data.subarray(take);
        continue;
      }
      if (data.length < 8) {
        this.#pending = Buffer.from(data);
        break;
      }
      this.#stream = data.readUInt8(0);
      this.#remaining = data.readUInt32BE(4);
      data = data.subarray(8);
    }
    return payloads;
  }
}
