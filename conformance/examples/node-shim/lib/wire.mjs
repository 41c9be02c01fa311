// Spec §9.1 (JSON form) and §9.2 (binary form, bincode-1 compatible). Every decoding
// failure is `Codec`: a decoder either returns a capsule or throws IhpError.
import { IhpError } from './errors.mjs';
import { JsonSyntaxError, parseJson } from './json.mjs';
import { NONCE_LEN, U16_MAX, U64_MAX, U8_MAX, u16le, u64le, u8 } from './primitives.mjs';

export const MAX_JSON_BYTES = 1024 * 1024;
export const MAX_JSON_DEPTH = 64;
// 4 + 65,536 + 8 + 8 + 16: the largest payload a valid capsule can carry (spec §9.2).
export const MAX_BINARY_PAYLOAD = 65_572;
const BINARY_HEADER_BYTES = 40;

const codec = () => new IhpError('Codec');

// ---------------------------------------------------------------- §9.1 JSON

function integerIn(value, max) {
  // BigInt only: booleans, strings, floats (1.0, 1e2) and null are not JSON integers.
  if (typeof value !== 'bigint' || value < 0n || value > max) throw codec();
  return value;
}

function field(object, key) {
  if (!(object instanceof Map) || !object.has(key)) throw codec();
  return object.get(key);
}

function byteArray(value) {
  if (!Array.isArray(value)) throw codec();
  return Buffer.from(value.map((b) => Number(integerIn(b, U8_MAX))));
}

export function capsuleFromJson(text) {
  // Size in UTF-8 bytes; a lone surrogate has no UTF-8 form, so the text is not UTF-8 JSON.
  if (!text.isWellFormed() || Buffer.byteLength(text, 'utf8') > MAX_JSON_BYTES) throw codec();
  let document;
  try {
    document = parseJson(text, { maxDepth: MAX_JSON_DEPTH, duplicateKeys: 'reject' });
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw codec();
    throw error;
  }
  const network = field(document, 'network_context');
  const capsule = {
    version: Number(integerIn(field(document, 'version'), U8_MAX)),
    headerId: integerIn(field(document, 'header_id'), U64_MAX),
    clientNonce: byteArray(field(document, 'client_nonce')),
    serverProfileId: integerIn(field(document, 'server_profile_id'), U64_MAX),
    networkContext: {
      rttBucket: Number(integerIn(field(network, 'rtt_bucket'), U8_MAX)),
      pathHint: Number(integerIn(field(network, 'path_hint'), U16_MAX)),
    },
    payload: byteArray(field(document, 'payload')),
  };
  if (capsule.clientNonce.length !== NONCE_LEN) throw codec();
  return capsule;
}

/** The canonical form: compact, keys in the spec's order. */
export function capsuleToJson(capsule) {
  const bytes = (b) => `[${Array.from(b).join(',')}]`;
  const n = capsule.networkContext;
  return (
    `{"version":${capsule.version},"header_id":${capsule.headerId},` +
    `"client_nonce":${bytes(capsule.clientNonce)},"server_profile_id":${capsule.serverProfileId},` +
    `"network_context":{"rtt_bucket":${n.rttBucket},"path_hint":${n.pathHint}},` +
    `"payload":${bytes(capsule.payload)}}`
  );
}

// ---------------------------------------------------------------- §9.2 binary

export function capsuleFromBinary(data) {
  if (data.length < BINARY_HEADER_BYTES) throw codec();
  const payloadLength = data.readBigUInt64LE(32);
  // Checked as a BigInt, before anything is allocated (spec §15 BincodeHugeLength).
  const remaining = BigInt(data.length - BINARY_HEADER_BYTES);
  if (payloadLength > BigInt(MAX_BINARY_PAYLOAD) || payloadLength > remaining) throw codec();
  if (payloadLength !== remaining) throw codec(); // trailing bytes (spec §15 BincodeTrailingBytes)
  return {
    version: data.readUInt8(0),
    headerId: data.readBigUInt64LE(1),
    clientNonce: Buffer.from(data.subarray(9, 21)),
    serverProfileId: data.readBigUInt64LE(21),
    networkContext: { rttBucket: data.readUInt8(29), pathHint: data.readUInt16LE(30) },
    payload: Buffer.from(data.subarray(BINARY_HEADER_BYTES)),
  };
}

export function capsuleToBinary(capsule) {
  const n = capsule.networkContext;
  return Buffer.concat([
    u8(capsule.version),
    u64le(capsule.headerId),
    capsule.clientNonce,
    u64le(capsule.serverProfileId),
    u8(n.rttBucket),
    u16le(n.pathHint),
    u64le(capsule.payload.length),
    capsule.payload,
  ]);
}
