// Errors raised while reading DICOM: each names what was wrong, where (byte offset) and the PS3 section that the
// input broke, so a user can check the file with another tool.

/** A Part 10 file or dataset that cannot be read (PS3.10 section 7, PS3.5 section 7). */
export class DicomParseError extends Error {
  override name = 'DicomParseError';
  /** Byte offset in the (inflated) stream where reading failed. */
  readonly offset: number;
  /** True when the bytes end before the structure does (a truncated file or a partial read). */
  readonly truncated: boolean;

  constructor(message: string, offset: number, truncated = false) {
    super(message);
    this.offset = offset;
    this.truncated = truncated;
  }
}

/** Pixel data that cannot be decoded: unsupported transfer syntax, bad frame length, codec failure. */
export class PixelDataError extends Error {
  override name = 'PixelDataError';
}
