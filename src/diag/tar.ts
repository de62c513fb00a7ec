/**
 * A minimal POSIX tar (ustar + pax) header writer. The bundle is written entry by entry into
 * gzip, so entries come from streams we already sized; the `tar` package packs from the file
 * system, which would read the unscrubbed originals.
 */

const BLOCK = 512;

export interface TarEntryHeader {
  path: string;
  size: number;
  mode?: number;
  mtime?: Date;
}

/** The header blocks for one regular file: a pax record first when the name needs it. */
export function tarFileHeader(entry: TarEntryHeader): Buffer {
  const name = Buffer.from(entry.path, 'utf8');
  const needsPax = name.length > 100 || /[^\x20-\x7e]/.test(entry.path) || entry.size >= 0o77777777777;
  const mtime = Math.floor((entry.mtime ?? new Date()).getTime() / 1000);
  const main = ustarHeader({
    name: needsPax ? asciiFallback(entry.path) : entry.path,
    size: entry.size >= 0o77777777777 ? 0 : entry.size,
    mode: entry.mode ?? 0o600,
    mtime,
    type: '0',
  });
  if (!needsPax) return main;
  const records = paxRecord('path', entry.path) + (entry.size >= 0o77777777777 ? paxRecord('size', String(entry.size)) : '');
  const body = Buffer.from(records, 'utf8');
  const paxHead = ustarHeader({name: `PaxHeader/${asciiFallback(entry.path)}`.slice(0, 100), size: body.length, mode: 0o600, mtime, type: 'x'});
  return Buffer.concat([paxHead, body, tarPadding(body.length), main]);
}

/** Zero bytes that round a body of `size` bytes up to whole blocks. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** Two zero blocks end the archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

function paxRecord(key: string, value: string): string {
  // The length prefix counts itself, so grow it until it is stable.
  const rest = ` ${key}=${value}\n`;
  const restLength = Buffer.byteLength(rest, 'utf8');
  let length = restLength + String(restLength).length;
  if (String(length).length + restLength !== length) length = restLength + String(length).length;
  return `${length}${rest}`;
}

function asciiFallback(path: string): string {
  const ascii = path.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

interface UstarFields {
  name: string;
  size: number;
  mode: number;
  mtime: number;
  type: '0' | 'x';
}

function ustarHeader(fields: UstarFields): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(fields.name, 0, 100, 'utf8');
  writeOctal(header, fields.mode, 100, 8);
  writeOctal(header, 0, 108, 8); // uid: the bundle says nothing about who made it
  writeOctal(header, 0, 116, 8); // gid
  writeOctal(header, fields.size, 124, 12);
  writeOctal(header, fields.mtime, 136, 12);
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  header.write(fields.type, 156, 1, 'ascii');
  header.write('ustar\u000000', 257, 8, 'binary');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'binary');
  return header;
}

function writeOctal(buffer: Buffer, value: number, offset: number, length: number): void {
  buffer.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'binary');
}
