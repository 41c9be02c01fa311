// IHP v1 core (spec §4–§7, §10, §12): no I/O, no clock. Time, keys and nonces come in as
// arguments, already checked for their types by the caller (the shim's argument decoding,
// spec §7.4/§7.5 step 0). Everything here is a protocol rule.
import { IhpError } from './errors.mjs';
import {
  I64_MIN,
  blake3,
  constantTimeEqual,
  hkdf,
  i64le,
  open,
  seal,
  u16le,
  u32le,
  u64le,
  u8,
} from './primitives.mjs';

// Spec §3.
export const PROTOCOL_VERSION_V1 = 1;
export const PROTOCOL_VERSION_EXPERIMENTAL_V2 = 2;
export const MAX_PAYLOAD_BYTES = 65_536;
export const MAX_FINGERPRINT_BYTES = 4_096;
export const DEFAULT_MAX_TIMESTAMP_DRIFT_SECONDS = 300;
export const MAX_ALLOWED_DRIFT_SECONDS = 604_800;
export const AAD_DOMAIN = Buffer.from('IHP_CAPSULE_AAD:v1', 'ascii');
export const LABEL_PROFILE = Buffer.from('IHP_PROFILE_KEY:v1', 'ascii');
export const LABEL_SESSION = Buffer.from('IHP_SESSION_KEY:v1', 'ascii');
export const LABEL_TOKEN = Buffer.from('IHP_SESSION_TOKEN:v1', 'ascii');
export const AEAD_AES256GCM = 'AES256GCM';
export const RTT_MS_PER_BUCKET = 5.0;

// ---------------------------------------------------------------- §4 configuration

/** The default configuration. Numbers are BigInt, as the shim's JSON reader yields them. */
export function defaultConfig() {
  return {
    maxTimestampDrift: BigInt(DEFAULT_MAX_TIMESTAMP_DRIFT_SECONDS),
    allowedVersions: [BigInt(PROTOCOL_VERSION_V1)],
    aeadAlgorithm: AEAD_AES256GCM,
    maxPayloadBytes: BigInt(MAX_PAYLOAD_BYTES),
    maxFingerprintBytes: BigInt(MAX_FINGERPRINT_BYTES),
  };
}

const inRange = (x, lo, hi) => typeof x === 'bigint' && x >= BigInt(lo) && x <= BigInt(hi);

// Each field with its valid range (spec §4): a table, so the rule reads like the spec.
const CONFIG_RULES = [
  (c) => inRange(c.maxTimestampDrift, 0, MAX_ALLOWED_DRIFT_SECONDS),
  (c) =>
    Array.isArray(c.allowedVersions) &&
    c.allowedVersions.length > 0 &&
    c.allowedVersions.every((v) =>
      inRange(v, PROTOCOL_VERSION_V1, PROTOCOL_VERSION_EXPERIMENTAL_V2)),
  (c) => c.aeadAlgorithm === AEAD_AES256GCM,
  (c) => inRange(c.maxPayloadBytes, 1, MAX_PAYLOAD_BYTES),
  (c) => inRange(c.maxFingerprintBytes, 1, MAX_FINGERPRINT_BYTES),
];

export function validateConfig(config) {
  if (!CONFIG_RULES.every((rule) => rule(config))) throw new IhpError('Config');
}

const versionAllowed = (config, version) =>
  config.allowedVersions.some((v) => v === BigInt(version));

// ---------------------------------------------------------------- §5 SEP hash

/**
 * `sep`: {cpu, nic, os, build: string, tpmQuote: Buffer | null}. Fingerprints are hashed
 * as given (no trimming, no normalisation); lengths are UTF-8 byte lengths.
 */
export function computeServerEnvHash(sep, config) {
  validateConfig(config);
  const limit = Number(config.maxFingerprintBytes);
  const fields = [sep.cpu, sep.nic, sep.os, sep.build].map((s) => {
    // A lone surrogate has no UTF-8 encoding: not a valid fingerprint.
    if (!s.isWellFormed()) throw new IhpError('Codec');
    return Buffer.from(s, 'utf8');
  });
  if (fields.some((f) => f.length > limit)) throw new IhpError('Codec');
  if (sep.tpmQuote !== null && sep.tpmQuote.length > limit) throw new IhpError('Codec');
  const nul = Buffer.of(0);
  // Q = 0x01 ‖ quote when a quote is present (even an empty one), 0x00 otherwise.
  const quote = sep.tpmQuote === null ? Buffer.of(0) : Buffer.concat([Buffer.of(1), sep.tpmQuote]);
  return blake3(Buffer.concat([...fields.flatMap((f) => [f, nul]), quote]));
}

// ---------------------------------------------------------------- §6 keys

/** K_profile. The profile id is deliberately not an input (spec §6). */
export function deriveProfileKey(masterKey, envHash) {
  return hkdf(envHash, masterKey, LABEL_PROFILE);
}

/** §7.1 network context rule: path_hint 0 is a value of its type but not a valid context. */
function checkNetworkContext(networkContext) {
  if (networkContext.pathHint === 0) throw new IhpError('Codec');
}

export function deriveSessionKey(
  profileKey,
  tlsExporterKey,
  clientNonce,
  networkContext,
  serverProfileId,
) {
  checkNetworkContext(networkContext);
  const info = Buffer.concat([
    LABEL_SESSION,
    clientNonce,
    u8(networkContext.rttBucket),
    u16le(networkContext.pathHint),
    u64le(serverProfileId),
  ]);
  return hkdf(profileKey, tlsExporterKey, info);
}

// ---------------------------------------------------------------- §7 capsule

/** §7.2: the 62-byte associated data. */
export function associatedData(version, serverProfileId, networkContext, envHash) {
  return Buffer.concat([
    AAD_DOMAIN,
    u8(version),
    u64le(serverProfileId),
    u8(networkContext.rttBucket),
    u16le(networkContext.pathHint),
    envHash,
  ]);
}

/** §7.4 steps 1–5 (step 0, argument construction, is the caller's). */
export function encryptCapsule(a) {
  checkNetworkContext(a.networkContext);
  validateConfig(a.config);
  if (!versionAllowed(a.config, a.version)) throw new IhpError('InvalidVersion');
  if (a.password.length > Number(a.config.maxPayloadBytes)) throw new IhpError('Codec');
  const plaintext = Buffer.concat([
    u32le(a.password.length),
    a.password,
    i64le(a.timestamp),
    u64le(a.headerId),
  ]);
  const aad = associatedData(a.version, a.serverProfileId, a.networkContext, a.envHash);
  return {
    version: a.version,
    headerId: a.headerId,
    clientNonce: a.clientNonce,
    serverProfileId: a.serverProfileId,
    networkContext: a.networkContext,
    payload: seal(a.sessionKey, a.clientNonce, aad, plaintext),
  };
}

const abs = (x) => (x < 0n ? -x : x);

/**
 * §7.5 steps 1–8 as data: each step names its error code and checks the decryption state
 * `s` ({capsule, envHash, sessionKey, now, config}), filling in what later steps read.
 * The first failing step wins.
 */
export const DECRYPTION_CHECKS = Object.freeze([
  { step: 1, code: 'Config', ok: (s) => CONFIG_RULES.every((rule) => rule(s.config)) },
  { step: 2, code: 'InvalidVersion', ok: (s) => versionAllowed(s.config, s.capsule.version) },
  { step: 3, code: 'Codec', ok: (s) => s.capsule.networkContext.pathHint !== 0 },
  {
    step: 4,
    code: 'InvalidAeadTag',
    ok: (s) => {
      const c = s.capsule;
      const aad = associatedData(c.version, c.serverProfileId, c.networkContext, s.envHash);
      s.plaintext = open(s.sessionKey, c.clientNonce, aad, c.payload);
      return s.plaintext !== null;
    },
  },
  {
    step: 5,
    code: 'Codec',
    ok: (s) => {
      const p = s.plaintext;
      if (p.length < 20) return false;
      const declared = p.readUInt32LE(0);
      // "4 + declared + 16": length prefix, password, timestamp and header id.
      if (declared > Number(s.config.maxPayloadBytes)) return false;
      if (p.length !== 4 + declared + 16) return false;
      s.password = p.subarray(4, 4 + declared);
      s.timestamp = p.readBigInt64LE(4 + declared);
      s.embeddedHeaderId = p.subarray(12 + declared, 20 + declared);
      return true;
    },
  },
  { step: 6, code: 'InvalidTimestamp', ok: (s) => s.timestamp !== I64_MIN },
  {
    step: 7,
    code: 'HeaderIdMismatch',
    ok: (s) => constantTimeEqual(s.embeddedHeaderId, u64le(s.capsule.headerId)),
  },
  // Exact: BigInt never wraps (the Rust crate's i64 `abs` does, spec §15 DriftOverflow).
  {
    step: 8,
    code: 'StaleTimestamp',
    ok: (s) => abs(s.now - s.timestamp) <= s.config.maxTimestampDrift,
  },
]);

/**
 * Returns {password, timestamp, headerId}; throws IhpError at the first failing check.
 * Step 9, the optional replay guard (spec §13), raises its own two codes.
 */
export function decryptCapsule({ capsule, envHash, sessionKey, now, config, replayGuard = null }) {
  const state = { capsule, envHash, sessionKey, now, config };
  for (const check of DECRYPTION_CHECKS) {
    if (!check.ok(state)) throw new IhpError(check.code);
  }
  replayGuard?.checkAndRecord(
    capsule.serverProfileId,
    capsule.clientNonce,
    capsule.payload,
    state.timestamp,
    now,
    config.maxTimestampDrift,
  );
  return { password: state.password, timestamp: state.timestamp, headerId: capsule.headerId };
}

// ---------------------------------------------------------------- §10 session token

export function sessionToken(sessionKey, clientNonce, timestamp) {
  const info = Buffer.concat([LABEL_TOKEN, clientNonce, i64le(timestamp)]);
  return hkdf(null, sessionKey, info).toString('base64url');
}

// ---------------------------------------------------------------- §12 RTT bucket

/**
 * Rust's `f64::round`: half away from zero. `x - floor(x)` is exact for doubles, unlike
 * `floor(x + 0.5)`, which rounds 0.49999999999999994 up. (`Math.round` rounds half up.)
 */
export function roundHalfAwayFromZero(x) {
  const magnitude = Math.abs(x);
  const whole = Math.floor(magnitude);
  const rounded = magnitude - whole >= 0.5 ? whole + 1 : whole;
  return rounded === 0 ? 0 : Math.sign(x) * rounded;
}

/**
 * clamp(round_half_away_from_zero(mean_ms / 5.0), 0, 255). The mean is a left-to-right
 * sum divided by the count, in doubles. No samples, or a non-finite sum, is `Codec`.
 */
export function rttBucketFromSamples(samplesMs) {
  if (samplesMs.length === 0) throw new IhpError('Codec');
  let total = 0;
  for (const sample of samplesMs) total += sample;
  if (!Number.isFinite(total)) throw new IhpError('Codec');
  const bucket = roundHalfAwayFromZero(total / samplesMs.length / RTT_MS_PER_BUCKET);
  return Math.min(Math.max(bucket, 0), 255);
}
