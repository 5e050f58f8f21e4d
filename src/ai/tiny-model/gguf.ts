/**
 * A minimal GGUF v3 writer (ggml's docs/gguf.md): header, typed metadata,
 * tensor infos, then tensor data aligned to `general.alignment`. It writes
 * only what the tiny test model needs (F32 tensors; scalar, string and array
 * metadata), and writes it byte-for-byte the same for the same input.
 */

const ALIGNMENT = 32;

/** GGUF metadata value types (gguf.md `gguf_metadata_value_type`). */
const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
const GGML_TYPE_F32 = 0;

export type GgufValue =
  | { readonly type: 'u32'; readonly value: number }
  | { readonly type: 'f32'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'string[]'; readonly value: readonly string[] }
  | { readonly type: 'f32[]'; readonly value: readonly number[] }
  | { readonly type: 'i32[]'; readonly value: readonly number[] };

export interface GgufTensor {
  readonly name: string;
  /** ggml order: innermost (row length) first, e.g. [n_embd, n_vocab] for an embedding. */
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

class ByteWriter {
  readonly #chunks: Buffer[] = [];
  length = 0;
  #push(b: Buffer): void {
    this.#chunks.push(b);
    this.length += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.#push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.#push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.#push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.#push(b);
  }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.#push(bytes);
  }
  bytes(b: Buffer): void {
    this.#push(b);
  }
  pad(): void {
    const rest = this.length % ALIGNMENT;
    if (rest !== 0) this.#push(Buffer.alloc(ALIGNMENT - rest));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      w.u32(T.UINT32);
      w.u32(v.value);
      return;
    case 'f32':
      w.u32(T.FLOAT32);
      w.f32(v.value);
      return;
    case 'bool':
      w.u32(T.BOOL);
      w.bytes(Buffer.from([v.value ? 1 : 0]));
      return;
    case 'string':
      w.u32(T.STRING);
      w.string(v.value);
      return;
    case 'string[]':
      w.u32(T.ARRAY);
      w.u32(T.STRING);
      w.u64(v.value.length);
      for (const s of v.value) w.string(s);
      return;
    case 'f32[]':
      w.u32(T.ARRAY);
      w.u32(T.FLOAT32);
      w.u64(v.value.length);
      for (const x of v.value) w.f32(x);
      return;
    case 'i32[]':
      w.u32(T.ARRAY);
      w.u32(T.INT32);
      w.u64(v.value.length);
      for (const x of v.value) w.i32(x);
      return;
  }
}

/** The GGUF file: metadata in the given order, then the tensors in the given order. */
export function writeGguf(metadata: readonly (readonly [string, GgufValue])[], tensors: readonly GgufTensor[]): Buffer {
  const w = new ByteWriter();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) {
    w.string(key);
    writeValue(w, value);
  }
  let offset = 0;
  for (const t of tensors) {
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length)
      throw new Error(`tensor ${t.name}: dims ${t.dims.join('x')} hold ${elements} values, data has ${t.data.length}`);
    w.string(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += Math.ceil((t.data.length * 4) / ALIGNMENT) * ALIGNMENT;
  }
  w.pad();
  for (const t of tensors) {
    const b = Buffer.alloc(t.data.length * 4);
    for (let i = 0; i < t.data.length; i++) b.writeFloatLE(t.data[i] as number, i * 4);
    w.bytes(b);
    w.pad();
  }
  return w.toBuffer();
}
