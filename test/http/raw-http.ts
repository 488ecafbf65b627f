import { connect, type Socket } from 'node:net';

/** One client connection speaking HTTP/1.1 byte by byte, to send what fetch will not (lies, trickles). */
export interface RawConnection {
  socket: Socket;
  write(data: string | Uint8Array): void;
  /** Writes `data` one byte per `everyMs` until the server answers or closes. */
  trickle(data: string | Uint8Array, everyMs: number): void;
  /** The status of the first answer (null when the server closed without one). */
  status: Promise<number | null>;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

export function openRawConnection(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const status = new Promise<number | null>((settle) => {
      const onData = () => {
        const match = /^HTTP\/1\.1 (\d{3}) /.exec(received);
        if (match) {
          socket.off('data', onData);
          settle(Number(match[1]));
        }
      };
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      socket.on('data', onData);
      socket.on('close', () => settle(null));
    });
    const closed = new Promise<string>((settle) => {
      socket.on('close', () => {
        clearInterval(timer);
        settle(received);
      });
    });
    // A reset after the answer is one way for a server to end a refused upload: the answer still counts.
    socket.on('error', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        write: (data) => socket.write(data),
        trickle(data, everyMs) {
          const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
          let sent = 0;
          timer = setInterval(() => {
            if (sent >= bytes.length || received.length > 0 || socket.destroyed) clearInterval(timer);
            else socket.write(bytes.subarray(sent, ++sent));
          }, everyMs);
        },
        status,
        closed,
      }),
    );
    socket.once('error', reject);
  });
}

/** The request line and headers of a POST to `path`, as Gogs sends them, with the framing headers given. */
export function hookRequestHead(
  headers: Record<string, string>,
  framing: Record<string, string | number>,
  path = '/hook',
) {
  const lines = Object.entries({ Host: 'sidecar', ...headers, ...framing }).map(([k, v]) => `${k}: ${v}`);
  return `POST ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** `data` as one HTTP/1.1 chunk. */
export function chunk(data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${data.byteLength.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
}
