/** A raw HTTP call to the Gogs TEST DOUBLE's API for tests that look at statuses, headers and bodies as sent. */

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
}

export async function callApi(
  apiUrl: string,
  path: string,
  options: {
    method?: string;
    token?: string;
    basic?: { username: string; password: string };
    headers?: Record<string, string>;
    /** Sent as JSON with `Content-Type: application/json` unless `rawBody` is given. */
    body?: unknown;
    /** Sent as bytes with no Content-Type of its own. */
    rawBody?: string;
  } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `token ${options.token}`;
  if (options.basic) {
    const encoded = Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64');
    headers.Authorization = `Basic ${encoded}`;
  }
  let body: string | Uint8Array | undefined =
    options.rawBody === undefined ? undefined : new TextEncoder().encode(options.rawBody);
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${apiUrl}${path}`, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
