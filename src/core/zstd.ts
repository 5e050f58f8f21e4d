/**
 * Zstandard over zstd-napi's low-level binding (Node 20's zlib has no zstd).
 *
 * The low-level DCtx is used rather than the package's DecompressStream
 * transform because that transform decodes a whole input chunk into its
 * readable buffer before anyone can look: a 10 MB bomb chunk would expand
 * to gigabytes before a limit could be checked. Here every call to
 * decompressStream produces at most one output buffer (128 KiB), which is
 * counted against the limit before it is handed on, so memory stays at one
 * input chunk + one output buffer + the decoder's window.
 */
import binding from 'zstd-napi/binding.js';
import { AttestryError } from './errors.js';

/**
 * Largest window a frame may ask the decoder to allocate: 2^23 = 8 MiB, the
 * limit RFC 9659 sets for the `zstd` HTTP content coding. Without it a frame
 * header alone could make each decoder reserve 128 MiB (zstd's default
 * limit) or, with a raised limit, 2 GiB. Our own compressor never exceeds
 * it (levels up to 19 use windows of at most 8 MiB).
 */
export const ZSTD_WINDOW_LOG_MAX = 23;

/** Highest level whose window fits ZSTD_WINDOW_LOG_MAX (levels 20–22 use 32–128 MiB windows). */
export const ZSTD_MAX_LEVEL = 19;

/** Default level: zstd's own default, a good speed/ratio point for NDJSON. */
export const ZSTD_DEFAULT_LEVEL = 3;

const OUT_SIZE = binding.dStreamOutSize(); // 128 KiB: one full block, so each call can make progress
const COMPRESS_OUT_SIZE = binding.cStreamOutSize();
const EMPTY = new Uint8Array(0);

function checkLevel(level: number): number {
  if (!Number.isInteger(level) || level < binding.minCLevel() || level > ZSTD_MAX_LEVEL) {
    throw new AttestryError(
      'E_INVALID_INPUT',
      `zstd level ${level} is not supported: use an integer from ${binding.minCLevel()} to ${ZSTD_MAX_LEVEL} (higher levels need windows decoders refuse)`,
    );
  }
  return level;
}

function newCompressor(level: number): binding.CCtx {
  const cctx = new binding.CCtx();
  cctx.setParameter(binding.CParameter.compressionLevel, checkLevel(level));
  // A content checksum lets decompression detect a corrupted blob by itself, for 4 bytes a frame.
  cctx.setParameter(binding.CParameter.checksumFlag, 1);
  return cctx;
}

function newDecompressor(): binding.DCtx {
  const dctx = new binding.DCtx();
  dctx.setParameter(binding.DParameter.windowLogMax, ZSTD_WINDOW_LOG_MAX);
  return dctx;
}

function checkLimit(maxOutputBytes: number): void {
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) {
    throw new AttestryError('E_INVALID_INPUT', `zstd output limit ${maxOutputBytes} is not a non-negative integer`);
  }
}

function tooLarge(what: string, maxOutputBytes: number): AttestryError {
  return new AttestryError(
    'E_PAYLOAD_TOO_LARGE',
    `${what} decompresses to more than ${maxOutputBytes} bytes; send less per request (or split it) and retry`,
    { details: { maxDecodedBytes: maxOutputBytes } },
  );
}

/** A native zstd error as E_INVALID_INPUT naming the input; the window case says what the sender should change. */
function corrupt(what: string, e: unknown): AttestryError {
  const reason = e instanceof Error ? e.message : String(e);
  const hint = /too much memory/i.test(reason)
    ? `: its frames need a window over ${2 ** (ZSTD_WINDOW_LOG_MAX - 20)} MiB (RFC 9659); compress without --long or --ultra levels`
    : `: ${reason}`;
  return new AttestryError('E_INVALID_INPUT', `${what} is not valid zstd data${hint}`, { cause: e });
}

function truncated(what: string): AttestryError {
  return new AttestryError('E_INVALID_INPUT', `${what} is not valid zstd data: it ends in the middle of a frame (truncated upload?)`);
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Compresses a byte stream into one zstd frame (with a content checksum),
 * yielding full 128 KiB output buffers as they fill; memory is the
 * compressor's state plus one output buffer whatever the input size.
 */
export async function* zstdCompressStream(source: AsyncIterable<Uint8Array>, level = ZSTD_DEFAULT_LEVEL): AsyncIterable<Buffer> {
  const cctx = newCompressor(level);
  let out = Buffer.allocUnsafe(COMPRESS_OUT_SIZE);
  let pos = 0;
  for await (const chunk of source) {
    let src: Uint8Array = chunk;
    while (src.length > 0) {
      const [, produced, consumed] = cctx.compressStream2(out.subarray(pos), src, binding.EndDirective.continue);
      pos += produced;
      src = src.subarray(consumed);
      if (pos === out.length) {
        yield out;
        out = Buffer.allocUnsafe(COMPRESS_OUT_SIZE);
        pos = 0;
      }
    }
  }
  for (;;) {
    const [remaining, produced] = cctx.compressStream2(out.subarray(pos), EMPTY, binding.EndDirective.end);
    pos += produced;
    if (remaining === 0) break;
    if (pos === out.length) {
      yield out;
      out = Buffer.allocUnsafe(COMPRESS_OUT_SIZE);
      pos = 0;
    }
  }
  if (pos > 0) yield out.subarray(0, pos);
}

/**
 * Decompresses a zstd stream (one or more frames), refusing with
 * E_PAYLOAD_TOO_LARGE as soon as the output would pass `maxOutputBytes`
 * (nothing past the limit is yielded) and with E_INVALID_INPUT on corrupt,
 * truncated or empty input. `what` names the input in errors.
 */
export async function* zstdDecompressStream(
  source: AsyncIterable<Uint8Array>,
  maxOutputBytes: number,
  what: string,
): AsyncIterable<Buffer> {
  checkLimit(maxOutputBytes);
  const dctx = newDecompressor();
  let total = 0;
  let sawInput = false;
  // zstd returns 0 exactly when a frame is fully decoded and flushed: anything else at the end is truncation.
  let inFrame = false;
  for await (const chunk of source) {
    let src: Uint8Array = chunk;
    if (src.length === 0) continue;
    sawInput = true;
    for (;;) {
      const { out, produced, consumed, frameDone } = decodeStep(dctx, src, what);
      src = src.subarray(consumed);
      // A call with nothing to do reports the next frame's header size: only progress says where we are.
      if (produced > 0 || consumed > 0) inFrame = !frameDone;
      if (produced > 0) {
        total += produced;
        if (total > maxOutputBytes) throw tooLarge(what, maxOutputBytes);
        yield out.subarray(0, produced);
      }
      // A full output buffer may mean the decoder holds more: call again, even with no input left.
      if (src.length === 0 && produced < out.length) break;
    }
  }
  if (!sawInput) throw new AttestryError('E_INVALID_INPUT', `${what} is empty: a zstd stream has at least one frame`);
  if (inFrame) throw truncated(what);
}

/** One streaming decoder call into a fresh OUT_SIZE buffer; a decoder error is the input's corruption. */
function decodeStep(
  dctx: binding.DCtx,
  src: Uint8Array,
  what: string,
): { out: Buffer; produced: number; consumed: number; frameDone: boolean } {
  const out = Buffer.allocUnsafe(OUT_SIZE);
  try {
    const [hint, produced, consumed] = dctx.decompressStream(out, src);
    // zstd's hint is 0 exactly when a frame is fully decoded and flushed.
    return { out, produced, consumed, frameDone: hint === 0 };
  } catch (e) {
    throw corrupt(what, e);
  }
}

let sharedCompressor: { level: number; cctx: binding.CCtx } | undefined;
let sharedDecompressor: binding.DCtx | undefined;

/** One-shot compression (one frame with content size and checksum); for small objects like manifests. */
export function zstdCompress(data: Uint8Array, level = ZSTD_DEFAULT_LEVEL): Buffer {
  if (sharedCompressor?.level !== level) sharedCompressor = { level, cctx: newCompressor(level) };
  const out = Buffer.allocUnsafe(binding.compressBound(data.length));
  const n = sharedCompressor.cctx.compress2(out, data);
  return out.subarray(0, n);
}

/** Sum of the content sizes the frames declare, or null when one does not declare it (or the input is not frames). */
function declaredSize(data: Uint8Array): number | null {
  let total = 0;
  let rest = data;
  while (rest.length > 0) {
    const size = binding.getFrameContentSize(rest);
    if (size === null) return null;
    total += size;
    rest = rest.subarray(binding.findFrameCompressedSize(rest));
  }
  return total;
}

/**
 * One-shot, bounded decompression. Frames that declare their size are
 * decoded straight into one buffer of that size (refused before any work
 * when the declaration is over the limit; zstd checks the declaration while
 * decoding); others are decoded in 128 KiB steps, counted as they come.
 */
export function zstdDecompress(data: Uint8Array, maxOutputBytes: number, what: string): Buffer {
  checkLimit(maxOutputBytes);
  if (data.length === 0) throw new AttestryError('E_INVALID_INPUT', `${what} is empty: a zstd stream has at least one frame`);
  sharedDecompressor ??= newDecompressor();
  const dctx = sharedDecompressor;
  let declared: number | null;
  try {
    declared = declaredSize(data);
  } catch {
    declared = null; // a truncated or corrupt frame: the streaming path below reports it precisely
  }
  if (declared !== null) {
    if (declared > maxOutputBytes) throw tooLarge(what, maxOutputBytes);
    const out = Buffer.allocUnsafe(declared);
    try {
      const n = dctx.decompress(out, data);
      return out.subarray(0, n);
    } catch (e) {
      dctx.reset(binding.ResetDirective.sessionOnly);
      throw corrupt(what, e);
    }
  }
  const parts: Buffer[] = [];
  let total = 0;
  let src = asBuffer(data);
  let inFrame = false;
  try {
    for (;;) {
      const { out, produced, consumed, frameDone } = decodeStep(dctx, src, what);
      src = src.subarray(consumed);
      // A call with nothing to do reports the next frame's header size: only progress says where we are.
      if (produced > 0 || consumed > 0) inFrame = !frameDone;
      total += produced;
      if (total > maxOutputBytes) throw tooLarge(what, maxOutputBytes);
      if (produced > 0) parts.push(out.subarray(0, produced));
      if (src.length === 0 && produced < out.length) break;
    }
  } catch (e) {
    // The shared context may be mid-frame; the next caller must start clean.
    dctx.reset(binding.ResetDirective.sessionOnly);
    throw e;
  }
  if (inFrame) {
    dctx.reset(binding.ResetDirective.sessionOnly);
    throw truncated(what);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}
