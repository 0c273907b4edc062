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

/** Emscripten module overrides: where the codec's stdout and stderr lines go (console.log/error by default). */
interface EmscriptenModuleOptions {
  print?: (line: string) => void;
  printErr?: (line: string) => void;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<{ JpegLSDecoder: new () => EmscriptenDecoder }>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (options?: EmscriptenModuleOptions) => Promise<{ J2KDecoder: new () => EmscriptenDecoder }>;
  export default factory;
}
