/** How much of a file is looked at to decide whether it is text. */
export const BINARY_SAMPLE_SIZE = 1024;

/**
 * Above this share of bytes that are not valid UTF-8 the file is binary. Latin-1 logs with a
 * few accented words stay well under it; images, archives and core dumps are far above.
 */
const INVALID_RATIO = 0.1;

export interface BinaryVerdict {
  binary: boolean;
  /** Why, in a few words, for the manifest. */
  reason?: string;
}

/**
 * Decides from the first KB whether content is binary: any NUL byte, or too many bytes that
 * are not UTF-8. A multi-byte sequence cut by the end of the sample is not held against it.
 */
export function detectBinary(sample: Uint8Array): BinaryVerdict {
  const bytes = sample.subarray(0, BINARY_SAMPLE_SIZE);
  if (bytes.length === 0) return {binary: false};
  let invalid = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 0) return {binary: true, reason: 'contains NUL bytes'};
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need === -1) {
      invalid++;
      i++;
      continue;
    }
    if (i + need >= bytes.length) break; // cut by the sample's end
    let ok = true;
    for (let k = 1; k <= need; k++) {
      if ((bytes[i + k]! & 0xc0) !== 0x80) ok = false;
    }
    if (ok) i += need + 1;
    else {
      invalid++;
      i++;
    }
  }
  const ratio = invalid / bytes.length;
  return ratio > INVALID_RATIO ? {binary: true, reason: `${Math.round(ratio * 100)}% of the first KB is not UTF-8`} : {binary: false};
}
