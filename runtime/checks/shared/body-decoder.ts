import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw, type BrotliDecompress, type Gunzip, type Inflate, type InflateRaw } from "node:zlib";

/** The content codings a check decodes (RFC 9110 section 8.4.1); `x-gzip` is gzip. */
export type ContentCoding = "gzip" | "deflate" | "br";

/**
 * The coding of a `Content-Encoding` value that a check decodes, or null to judge the body as it
 * came: none, `identity`, or a coding (or list of them) it does not know, as browsers and undici's
 * fetch pass an unknown coding through instead of failing.
 */
export function contentCoding(value: string | undefined): ContentCoding | null {
  switch (value?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return "gzip";
    case "deflate":
      return "deflate";
    case "br":
      return "br";
    default:
      return null;
  }
}

/** A body that says it is compressed and is not: the message completes "<url> sent a body that …". */
export class BodyDecodeError extends Error {
  override readonly name = "BodyDecodeError";
}

export interface DecoderEvents {
  data(decoded: Buffer): void;
  end(): void;
  error(error: BodyDecodeError): void;
}

/** Decodes one compressed body as its bytes arrive; `stop` lets go of it at once. */
export interface BodyDecoder {
  write(chunk: Buffer): void;
  /** No more bytes: what was written is decoded, then `end` (a body cut short is not an error). */
  end(): void;
  stop(): void;
}

/**
 * A decoder for `coding`, given the body's first bytes (HTTP's "deflate" is meant to be zlib
 * wrapped, but servers send raw deflate too: fetch looks at the first byte, and so does this).
 * A cut body decodes as far as it goes (the flush at its end is a sync flush), so a body stopped at
 * the cap is judged on what it held.
 */
export function startDecoder(coding: ContentCoding, first: Buffer, on: DecoderEvents): BodyDecoder {
  const stream = decompressor(coding, first);
  let stopped = false;
  stream.on("data", (chunk: Buffer) => {
    if (!stopped) on.data(chunk);
  });
  stream.once("end", () => {
    if (!stopped) on.end();
  });
  stream.once("error", (error: Error) => {
    if (!stopped) on.error(new BodyDecodeError(`is not valid ${coding} (its Content-Encoding): ${error.message}`));
  });
  return {
    write: (chunk) => void stream.write(chunk),
    end: () => void stream.end(),
    stop() {
      stopped = true;
      stream.destroy();
    },
  };
}

function decompressor(coding: ContentCoding, first: Buffer): Gunzip | Inflate | InflateRaw | BrotliDecompress {
  switch (coding) {
    case "gzip":
      return createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
    case "deflate":
      return zlibWrapped(first) ? createInflate({ finishFlush: constants.Z_SYNC_FLUSH }) : createInflateRaw({ finishFlush: constants.Z_SYNC_FLUSH });
    case "br":
      return createBrotliDecompress({ finishFlush: constants.BROTLI_OPERATION_FLUSH });
  }
}

/** A zlib header: compression method 8 in the low nibble of the first byte (RFC 1950). */
function zlibWrapped(first: Buffer): boolean {
  return first.length > 0 && (first[0]! & 0x0f) === 0x08;
}
