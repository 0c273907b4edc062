// Type declarations for the codec packages, which ship none: only the members ct-fhir calls.

interface EmscriptenCodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

interface EmscriptenDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): EmscriptenCodecFrameInfo;
  delete(): void;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: () => Promise<{ JpegLSDecoder: new () => EmscriptenDecoder }>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: () => Promise<{ J2KDecoder: new () => EmscriptenDecoder }>;
  export default factory;
}
