/**
 * The tiny LLaMA-architecture test model (issue 16 "Tests"): fixed-seed F32
 * weights, 2 layers, n_embd 64, a SentencePiece-style vocabulary of `<unk>`,
 * `<s>`, `</s>`, the 256 byte tokens and a few hundred whole-word pieces.
 * Nothing is downloaded; the same seed gives the same bytes. The rows of
 * `output.weight` for special and byte tokens are zero, so greedy decoding
 * picks whole words and generations read as (meaningless) English.
 */
import { writeGguf, type GgufTensor, type GgufValue } from './gguf.js';

export const TINY_MODEL = { nEmbd: 64, nLayers: 2, nHeads: 4, nFf: 128, contextLength: 4096 } as const;

const WORDS = `the a an of to in on for with by from as at is are was be this that it its not no can may must should
could will would has have had been which when where while if then than also only more most less any all each other
such into over under between through after before during without within about against across upon
vulnerability vulnerable attacker attack exploit exploitable remote local code execution injection overflow buffer
heap stack memory read write denial service crash input output request response header body parser parse parsing
function method call calls called path reachable unreachable reached runtime static analysis graph symbol library
package dependency dependencies version versions upgrade update patch patched fixed fix release affected affects
component module file files data user users server client network access privilege privileges escalation token
authentication authorization bypass validation sanitize sanitized escape escaped untrusted trusted string strings
length size limit bounded unbounded loop recursion regular expression pattern match backtracking cpu time timeout
lodash prototype pollution object property properties merge deep clone template templates command shell process
risk severity critical high medium low score impact confidentiality integrity availability mitigation mitigate
workaround recommend recommended remediation plan steps step first second third finally review reviewer approve
evidence finding findings advisory cve vex statement status justification not_affected affected under_investigation
triage suggestion suggest priority policy rule rules draft explanation explain because therefore however although
configuration default enabled disabled option options setting settings environment production test tests testing
application applications system systems service services api endpoint endpoints route handler handlers event events
log logs logging monitor monitoring alert alerts signal signals trace traces observed unobserved hit hits entry
attestation signature signed sign verify verified verification digest hash hashes integrity provenance supply chain
model weights prompt prompts context seed temperature deterministic replay manifest output identical divergent
build builds binary binaries image images container containers registry source sources commit repository branch
safe unsafe secure insecure risky known unknown issue issues bug bugs error errors failure failures warning warnings
allows allow permits permit leads lead causes cause results result uses use used using contains contain includes
include requires require needs need makes make runs run returns return sends send receives receive stores store`
  .split(/\s+/)
  .filter((w) => w.length > 0);

/** SentencePiece token types as llama.cpp reads `tokenizer.ggml.token_type`. */
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const BYTE = 6;

export interface TinyVocabulary {
  readonly tokens: readonly string[];
  readonly scores: readonly number[];
  readonly types: readonly number[];
  /** Index of the first word piece; everything before it is special or a byte token. */
  readonly firstWord: number;
}

export function tinyVocabulary(): TinyVocabulary {
  const words = [...new Set(WORDS)];
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [UNKNOWN, CONTROL, CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(BYTE);
  }
  const firstWord = tokens.length;
  for (const w of words) {
    tokens.push(`\u2581${w}`);
    types.push(NORMAL);
  }
  // Longer pieces win merges in SentencePiece; specials and bytes score 0.
  const scores = tokens.map((t, i) => (i < firstWord ? 0 : -1 / t.length));
  return { tokens, scores, types, firstWord };
}

/** splitmix32: a small, well-mixed PRNG, so weights depend on the seed only. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 0x100000000;
  };
}

function uniform(next: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

/** The GGUF bytes of the tiny model for `seed` (default 1). */
export function tinyModelGguf(seed = 1): Buffer {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer 0..4294967295, got ${seed}`);
  const { nEmbd, nLayers, nHeads, nFf, contextLength } = TINY_MODEL;
  const vocab = tinyVocabulary();
  const nVocab = vocab.tokens.length;
  const next = prng(seed);
  const output = uniform(next, nEmbd * nVocab, 1);
  // Row r of output.weight scores token r; zero rows are never the greedy choice over hundreds of random ones.
  output.fill(0, 0, vocab.firstWord * nEmbd);
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], data: uniform(next, nEmbd * nVocab, 1) },
    { name: 'output_norm.weight', dims: [nEmbd], data: ones(nEmbd) },
    { name: 'output.weight', dims: [nEmbd, nVocab], data: output },
  ];
  const w = 1 / Math.sqrt(nEmbd);
  for (let l = 0; l < nLayers; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}attn_q.weight`, dims: [nEmbd, nEmbd], data: uniform(next, nEmbd * nEmbd, w) },
      { name: `${p}attn_k.weight`, dims: [nEmbd, nEmbd], data: uniform(next, nEmbd * nEmbd, w) },
      { name: `${p}attn_v.weight`, dims: [nEmbd, nEmbd], data: uniform(next, nEmbd * nEmbd, w) },
      { name: `${p}attn_output.weight`, dims: [nEmbd, nEmbd], data: uniform(next, nEmbd * nEmbd, w) },
      { name: `${p}ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `${p}ffn_gate.weight`, dims: [nEmbd, nFf], data: uniform(next, nEmbd * nFf, w) },
      { name: `${p}ffn_down.weight`, dims: [nFf, nEmbd], data: uniform(next, nFf * nEmbd, 1 / Math.sqrt(nFf)) },
      { name: `${p}ffn_up.weight`, dims: [nEmbd, nFf], data: uniform(next, nEmbd * nFf, w) },
    );
  }
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const metadata: (readonly [string, GgufValue])[] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `attestry-tiny-seed${seed}` }],
    ['general.file_type', u32(0)],
    ['general.alignment', u32(32)],
    ['llama.context_length', u32(contextLength)],
    ['llama.embedding_length', u32(nEmbd)],
    ['llama.block_count', u32(nLayers)],
    ['llama.feed_forward_length', u32(nFf)],
    ['llama.attention.head_count', u32(nHeads)],
    ['llama.attention.head_count_kv', u32(nHeads)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.rope.dimension_count', u32(nEmbd / nHeads)],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['llama.vocab_size', u32(nVocab)],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: vocab.types }],
    ['tokenizer.ggml.unknown_token_id', u32(0)],
    ['tokenizer.ggml.bos_token_id', u32(1)],
    ['tokenizer.ggml.eos_token_id', u32(2)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ];
  return writeGguf(metadata, tensors);
}
