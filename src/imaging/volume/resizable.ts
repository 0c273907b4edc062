// Resizable ArrayBuffers (ES2024, in Node 20): V8 reserves address space for maxByteLength and commits pages only
// as the buffer grows, and pages cost memory only once written. A volume in one lets its slice store grow and trim
// without copies, and lets preprocessing write the model input over the consumed volume (overlay.ts).

export interface ResizableBuffer extends ArrayBuffer {
  readonly resizable: boolean;
  readonly maxByteLength: number;
  resize(byteLength: number): void;
}

type ResizableConstructor = new (byteLength: number, options: { maxByteLength: number }) => ResizableBuffer;

/** V8's largest maxByteLength (a larger one is a RangeError). */
export const MAX_RESIZABLE_BYTES = 2 ** 32;

/** A resizable buffer of `byteLength` bytes that may grow to `maxByteLength`; a fixed one where that is refused. */
export function allocateResizable(byteLength: number, maxByteLength: number): ArrayBuffer {
  const max = Math.min(MAX_RESIZABLE_BYTES, Math.max(byteLength, maxByteLength));
  if (byteLength <= max) {
    try {
      return new (ArrayBuffer as unknown as ResizableConstructor)(byteLength, { maxByteLength: max });
    } catch (err) {
      if (!(err instanceof RangeError)) throw err; // no address space for the reservation: a plain buffer
    }
  }
  return new ArrayBuffer(byteLength);
}

/** The buffer as a ResizableBuffer when it is one. */
export function asResizable(buffer: ArrayBufferLike): ResizableBuffer | undefined {
  return (buffer as Partial<ResizableBuffer>).resizable === true ? (buffer as ResizableBuffer) : undefined;
}

/** Resizes the buffer in place when it can reach `byteLength`; false when it cannot. */
export function resizeInPlace(buffer: ArrayBufferLike, byteLength: number): boolean {
  const r = asResizable(buffer);
  if (!r || byteLength > r.maxByteLength) return false;
  if (r.byteLength !== byteLength) r.resize(byteLength);
  return true;
}
