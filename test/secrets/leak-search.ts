/** Looking for a secret in bytes (a database file, a process's output) in every form it could be written in. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The database file and its WAL (and whatever else starts with its name) as one buffer, with their names. */
export async function databaseBytes(
  dataDir: string,
  file = 'drone-gogs.db',
): Promise<{ files: string[]; bytes: Buffer }> {
  const files = (await readdir(dataDir)).filter((name) => name.startsWith(file));
  return {
    files,
    bytes: Buffer.concat(await Promise.all(files.map((name) => readFile(join(dataDir, name))))),
  };
}

/** Every way a secret could sit in a file: as text (and its other encodings), and as the bytes it spells. */
export function formsOf(secret: string): { name: string; bytes: Buffer }[] {
  const text = Buffer.from(secret, 'utf8');
  const forms = [
    { name: 'text', bytes: text },
    { name: 'upper-case text', bytes: Buffer.from(secret.toUpperCase(), 'utf8') },
    { name: 'UTF-16', bytes: Buffer.from(secret, 'utf16le') },
    { name: 'hex of the text', bytes: Buffer.from(text.toString('hex'), 'utf8') },
    { name: 'base64 of the text', bytes: Buffer.from(text.toString('base64'), 'utf8') },
    { name: 'base64url of the text', bytes: Buffer.from(text.toString('base64url'), 'utf8') },
  ];
  if (/^([0-9a-f]{2})+$/.test(secret)) {
    const raw = Buffer.from(secret, 'hex');
    forms.push(
      { name: 'raw bytes', bytes: raw },
      { name: 'base64 of the bytes', bytes: Buffer.from(raw.toString('base64'), 'utf8') },
      { name: 'base64url of the bytes', bytes: Buffer.from(raw.toString('base64url'), 'utf8') },
    );
  }
  return forms;
}

/** The forms of `secret` found in `haystack`, any window of 12 bytes of a form counting as found. */
export function leaksOf(secret: string, haystack: Buffer): string[] {
  const found: string[] = [];
  for (const { name, bytes } of formsOf(secret)) {
    const window = Math.min(12, bytes.length);
    for (let start = 0; start + window <= bytes.length; start++) {
      if (haystack.includes(bytes.subarray(start, start + window))) {
        found.push(`${name} at ${start}`);
        break;
      }
    }
  }
  return found;
}
