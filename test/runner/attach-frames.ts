/** Docker's multiplexed attach stream, as the engine writes it: an 8-byte header (stream, length), then the payload. */
export function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(bytes.length, 4);
  return Buffer.concat([header, bytes]);
}
