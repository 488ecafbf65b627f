import { AppError } from '../core/index.ts';

export interface BodyLimits {
  maxBytes: number;
  /** The whole body must have arrived this long after reading starts; AppError REQUEST_TIMEOUT otherwise. */
  deadlineMs: number;
}

/**
 * Reads a request body into memory, refusing it (AppError PAYLOAD_TOO_LARGE) as soon as it passes
 * `maxBytes`, whether or not Content-Length announced it, and (REQUEST_TIMEOUT) when it arrives too slowly.
 * A refused body is left unread: the server drains what follows briefly, then closes the connection.
 */
export async function readBodyCapped(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const { maxBytes } = limits;
  const tooLarge = () =>
    new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes (DRONE_GOGS_HOOK_MAX_BYTES)`);
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AppError(
            'REQUEST_TIMEOUT',
            `request body not received within ${limits.deadlineMs} ms (DRONE_GOGS_HOOK_BODY_TIMEOUT_SECONDS)`,
          ),
        ),
      limits.deadlineMs,
    );
  });
  try {
    // Node's HTTP parser delivers exactly Content-Length bytes, and this path is several times faster than
    // reading the web stream chunk by chunk; the length is checked again since not every runtime enforces it.
    const body = Number.isSafeInteger(declared)
      ? new Uint8Array(await Promise.race([request.arrayBuffer(), deadline]))
      : await Promise.race([readStreamCapped(request, maxBytes, tooLarge), deadline]);
    if (body.byteLength > maxBytes) throw tooLarge();
    return body;
  } finally {
    clearTimeout(timer);
  }
}

async function readStreamCapped(request: Request, maxBytes: number, tooLarge: () => AppError) {
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
