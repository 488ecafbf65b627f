/**
 * Docker's multiplexed attach stream (no TTY): frames of an 8-byte header (stream type, 3 zero bytes, big-endian
 * payload length) followed by the payload. Frames may be split across chunks in any way. stdout and stderr are
 * kept in arrival order, which is how a person reads a step's log.
 */
export class FrameDemuxer {
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;

  /** The payload bytes contained in `chunk`, in order. */
  push(chunk: Buffer): Buffer[] {
    const payloads: Buffer[] = [];
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, data.length);
        payloads.push(data.subarray(0, take));
        this.#remaining -= take;
        data = data.subarray(take);
        continue;
      }
      if (data.length < 8) {
        this.#pending = Buffer.from(data);
        break;
      }
      this.#remaining = data.readUInt32BE(4);
      data = data.subarray(8);
    }
    return payloads;
  }
}
