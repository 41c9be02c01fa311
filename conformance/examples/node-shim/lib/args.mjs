// Shim-protocol argument decoding (spec/shim-protocol.md "Value encodings"): turns JSON values
// into typed values, or throws the error code the spec assigns to a value outside its
// field's type (spec §7.4/§7.5 step 0). Objects here are Map (see json.mjs).
import { IhpError } from './errors.mjs';
import { defaultConfig } from './ihp.mjs';
import { I64_MAX, I64_MIN, KEY_BYTES, NONCE_LEN, U16_MAX, U64_MAX, U8_MAX } from './primitives.mjs';

// Lowercase is what implementations write; uppercase is read too, as the reference does.
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const UNSIGNED_DECIMAL = /^[0-9]+$/;
const SIGNED_DECIMAL = /^-?[0-9]+$/;
export const MAX_PASSWORD_BYTES = 65_536;
const ENV_HASH_BYTES = 32;

const fail = (code) => {
  throw new IhpError(code);
};

/** `args[key]`; a missing argument is a malformed request, answered as `Codec`. */
export function arg(args, key) {
  if (!(args instanceof Map) || !args.has(key)) fail('Codec');
  return args.get(key);
}

export function optionalArg(args, key) {
  return args instanceof Map && args.has(key) ? args.get(key) : null;
}

export function bytes(value) {
  if (typeof value !== 'string' || !HEX.test(value)) fail('Codec');
  return Buffer.from(value, 'hex');
}

function sized(value, length, code) {
  const b = bytes(value);
  if (b.length !== length) fail(code);
  return b;
}

export const key = (value) => sized(value, KEY_BYTES, 'KeyLength');
export const nonce = (value) => sized(value, NONCE_LEN, 'InvalidNonceLength');
export const envHash = (value) => sized(value, ENV_HASH_BYTES, 'Codec');

export function password(value) {
  const b = bytes(value);
  if (b.length > MAX_PASSWORD_BYTES) fail('Codec');
  return b;
}

export function text(value) {
  if (typeof value !== 'string') fail('Codec');
  return value;
}

/** A small integer (JSON number) within 0..=max, as a Number. */
function small(value, max) {
  if (typeof value !== 'bigint' || value < 0n || value > max) fail('Codec');
  return Number(value);
}

export const version = (value) => small(value, U8_MAX);

export function u64(value) {
  if (typeof value !== 'string' || !UNSIGNED_DECIMAL.test(value)) fail('Codec');
  const n = BigInt(value);
  if (n > U64_MAX) fail('Codec');
  return n;
}

/**
 * A timestamp: a signed decimal string within i64, I64_MIN excluded (spec §7.3). Digits
 * outside that range are `InvalidTimestamp`; a value that is not a decimal string at all
 * is a malformed argument, `Codec`.
 */
export function timestamp(value) {
  if (typeof value !== 'string' || !SIGNED_DECIMAL.test(value)) fail('Codec');
  const n = BigInt(value);
  if (n <= I64_MIN || n > I64_MAX) fail('InvalidTimestamp');
  return n;
}

export function networkContext(value) {
  return {
    rttBucket: small(arg(value, 'rtt_bucket'), U8_MAX),
    pathHint: small(arg(value, 'path_hint'), U16_MAX),
  };
}

const CONFIG_KEYS = [
  ['max_timestamp_drift', 'maxTimestampDrift'],
  ['allowed_versions', 'allowedVersions'],
  ['aead_algorithm', 'aeadAlgorithm'],
  ['max_payload_bytes', 'maxPayloadBytes'],
  ['max_fingerprint_bytes', 'maxFingerprintBytes'],
];

/**
 * Every key optional (defaults). Never fails here: values are kept as given, and a
 * mistyped or out-of-range field surfaces as `Config` when the operation validates the
 * config, at the step the spec gives it (§7.4 step 2, §7.5 step 1).
 */
export function config(value) {
  const result = defaultConfig();
  if (value === null) return result;
  if (!(value instanceof Map)) return { ...result, maxTimestampDrift: -1n }; // invalid
  for (const [wire, name] of CONFIG_KEYS) {
    if (value.has(wire)) result[name] = value.get(wire);
  }
  return result;
}

export function sep(value) {
  const quote = optionalArg(value, 'tpm_quote');
  return {
    cpu: text(arg(value, 'cpu')),
    nic: text(arg(value, 'nic')),
    os: text(arg(value, 'os')),
    build: text(arg(value, 'build')),
    tpmQuote: quote === null ? null : bytes(quote),
  };
}

/**
 * A capsule argument. Field-type failures are `Codec`; the nonce length is checked last,
 * as in spec §7.5 step 0 (the shim protocol never combines two argument errors).
 */
export function capsule(value) {
  const result = {
    version: version(arg(value, 'version')),
    headerId: u64(arg(value, 'header_id')),
    clientNonce: bytes(arg(value, 'client_nonce')),
    serverProfileId: u64(arg(value, 'server_profile_id')),
    networkContext: networkContext(arg(value, 'network_context')),
    payload: bytes(arg(value, 'payload')),
  };
  if (result.clientNonce.length !== NONCE_LEN) fail('InvalidNonceLength');
  return result;
}

// ---------------------------------------------------------------- results

const hex = (b) => b.toString('hex');

export function capsuleResult(c) {
  return {
    version: c.version,
    header_id: c.headerId.toString(),
    client_nonce: hex(c.clientNonce),
    server_profile_id: c.serverProfileId.toString(),
    network_context: {
      rtt_bucket: c.networkContext.rttBucket,
      path_hint: c.networkContext.pathHint,
    },
    payload: hex(c.payload),
  };
}
