import { AppError } from '../core/index.ts';

/**
 * Reads a request body into memory, refusing it (AppError PAYLOAD_TOO_LARGE) as soon as it passes `maxBytes`,
 * whether or not Content-Length announced it.
 */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes (DRONE_GOGS_HOOK_MAX_BYTES)`);
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge();
  // Node's HTTP parser delivers exactly Content-Length bytes, so a declared length is a cap already; this path
  // is several times faster than reading the web stream chunk by chunk.
  if (Number.isSafeInteger(declared)) return new Uint8Array(await request.arrayBuffer());
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
