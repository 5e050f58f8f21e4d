/**
 * model_signing v0.2/v0.3 signed a malformed PAE: the Python `repr` of the
 * payload bytes was formatted into the string, with "DSSEV1" upper case
 * (model_signing `sign_sigstore_pb.pae_compat`). Used only as a fallback when
 * the standard PAE does not verify, exactly as model_signing does.
 */
import { INTOTO_PAYLOAD_TYPE } from '../crypto/intoto.js';

/** Python's `repr(bytes)`. */
export function pythonBytesRepr(data: Uint8Array): string {
  const hasSingle = data.includes(0x27);
  const hasDouble = data.includes(0x22);
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = 'b' + String.fromCharCode(quote);
  for (const b of data) {
    if (b === quote || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out + String.fromCharCode(quote);
}

export function legacyPae(payload: Buffer): Buffer {
  const type = INTOTO_PAYLOAD_TYPE;
  return Buffer.from(`DSSEV1 ${type.length} ${type} ${payload.length} ${pythonBytesRepr(payload)}`, 'utf8');
}
