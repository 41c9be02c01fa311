// ihp-shim/1 dispatch (spec/shim-protocol.md): one request object in, one response object out.
// The rule: every request gets exactly one well-formed response; an exception that is not
// an IhpError is a bug, reported as an error response (and on stderr), never a crash.
import { readFileSync } from 'node:fs';
import * as A from './args.mjs';
import { IhpError } from './errors.mjs';
import {
  computeServerEnvHash,
  decryptCapsule,
  defaultConfig,
  deriveProfileKey,
  deriveSessionKey,
  encryptCapsule,
  rttBucketFromSamples,
  sessionToken,
  validateConfig,
} from './ihp.mjs';
import { JsonFloat, parseJson } from './json.mjs';
import { ReplayGuard } from './replay.mjs';
import { capsuleFromBinary, capsuleFromJson, capsuleToBinary, capsuleToJson } from './wire.mjs';

const PROTOCOL = 'ihp-shim/1';
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const hex = (b) => b.toString('hex');

/** Operation name → handler(args: Map) → result object. Only what is implemented fully. */
export const OPERATIONS = {
  hello: () => ({
    protocol: PROTOCOL,
    implementation: 'ihp-node-shim (JavaScript, Node.js ' + process.versions.node + ')',
    version: PACKAGE.version,
    ops: Object.keys(OPERATIONS),
  }),

  config_validate: (args) => {
    validateConfig(A.config(A.optionalArg(args, 'config')));
    return {};
  },

  sep_hash: (args) => {
    const sep = A.sep(A.arg(args, 'sep'));
    const config = defaultConfig();
    // Present means used, even when null: it is then an invalid limit (`Config`).
    if (args.has('max_fingerprint_bytes')) {
      config.maxFingerprintBytes = args.get('max_fingerprint_bytes');
    }
    return { env_hash: hex(computeServerEnvHash(sep, config)) };
  },

  derive_profile_key: (args) => {
    const masterKey = A.key(A.arg(args, 'master_key'));
    const envHash = A.envHash(A.arg(args, 'env_hash'));
    A.u64(A.arg(args, 'server_profile_id')); // a u64, though not a KDF input (spec §6)
    return { profile_key: hex(deriveProfileKey(masterKey, envHash)) };
  },

  derive_session_key: (args) => {
    const profileKey = A.key(A.arg(args, 'profile_key'));
    const tlsExporterKey = A.bytes(A.arg(args, 'tls_exporter_key'));
    const clientNonce = A.nonce(A.arg(args, 'client_nonce'));
    const network = A.networkContext(A.arg(args, 'network_context'));
    const serverProfileId = A.u64(A.arg(args, 'server_profile_id'));
    const key = deriveSessionKey(profileKey, tlsExporterKey, clientNonce, network, serverProfileId);
    return { session_key: hex(key) };
  },

  encrypt_capsule: (args) => {
    // Spec §7.4 step 0, in its order: nonce, key, timestamp, password, then the rest.
    const clientNonce = A.nonce(A.arg(args, 'client_nonce'));
    const sessionKey = A.key(A.arg(args, 'session_key'));
    const timestamp = A.timestamp(A.arg(args, 'timestamp'));
    const password = A.password(A.arg(args, 'password'));
    const envHash = A.envHash(A.arg(args, 'env_hash'));
    const version = A.version(A.arg(args, 'version'));
    const headerId = A.u64(A.arg(args, 'header_id'));
    const serverProfileId = A.u64(A.arg(args, 'server_profile_id'));
    const networkContext = A.networkContext(A.arg(args, 'network_context'));
    const config = A.config(A.optionalArg(args, 'config'));
    const capsule = encryptCapsule({
      version, config, headerId, clientNonce, serverProfileId, networkContext, envHash,
      sessionKey, password, timestamp,
    });
    return { capsule: A.capsuleResult(capsule) };
  },

  decrypt_capsule: (args) => {
    // Spec §7.5 step 0, in its order: key, now, env hash and capsule fields, nonce length.
    const sessionKey = A.key(A.arg(args, 'session_key'));
    const now = A.timestamp(A.arg(args, 'now'));
    const envHash = A.envHash(A.arg(args, 'env_hash'));
    const capsule = A.capsule(A.arg(args, 'capsule'));
    const replayGuard = namedReplayGuard(
      A.optionalArg(args, 'replay_guard'), A.optionalArg(args, 'replay_guard_capacity'));
    const config = A.config(A.optionalArg(args, 'config'));
    const plain = decryptCapsule({ capsule, envHash, sessionKey, now, config, replayGuard });
    return {
      password: hex(plain.password),
      timestamp: plain.timestamp.toString(),
      header_id: plain.headerId.toString(),
    };
  },

  capsule_from_json: (args) => {
    const capsule = capsuleFromJson(A.text(A.arg(args, 'json')));
    return { capsule: A.capsuleResult(capsule) };
  },

  capsule_to_json: (args) => ({ json: capsuleToJson(A.capsule(A.arg(args, 'capsule'))) }),

  capsule_from_binary: (args) => {
    const capsule = capsuleFromBinary(A.bytes(A.arg(args, 'hex')));
    return { capsule: A.capsuleResult(capsule) };
  },

  capsule_to_binary: (args) => ({ hex: hex(capsuleToBinary(A.capsule(A.arg(args, 'capsule')))) }),

  session_token: (args) => {
    const sessionKey = A.key(A.arg(args, 'session_key'));
    const clientNonce = A.nonce(A.arg(args, 'client_nonce'));
    const timestamp = A.timestamp(A.arg(args, 'timestamp'));
    return { token: sessionToken(sessionKey, clientNonce, timestamp) };
  },

  rtt_bucket: (args) => {
    const samples = A.arg(args, 'samples_ms');
    const isNumber = (x) => typeof x === 'bigint' || x instanceof JsonFloat;
    if (!Array.isArray(samples) || !samples.every(isNumber)) throw new IhpError('Codec');
    // A JSON integer too large for a double becomes Infinity, then a non-finite sum: Codec.
    const numbers = samples.map((x) => (typeof x === 'bigint' ? Number(x) : x.value));
    return { bucket: rttBucketFromSamples(numbers) };
  },
};

// Replay guards by name, shared by every decryption that names them, for the life of
// the process (spec/shim-protocol.md, "replay_guard"). `replay_guard_capacity` sizes a
// guard when its name is first used: an integer 1..=65,536, only with a name, and never
// other than the named guard's capacity (each of those is `Codec`).
const replayGuards = new Map();
const MAX_GUARD_CAPACITY = 65_536n;

function namedReplayGuard(name, capacity) {
  if (name === null && capacity === null) return null;
  const capacityOk = capacity === null
    || (typeof capacity === 'bigint' && capacity >= 1n && capacity <= MAX_GUARD_CAPACITY);
  if (typeof name !== 'string' || !capacityOk) throw new IhpError('Codec');
  if (!replayGuards.has(name)) {
    const guard = capacity === null ? new ReplayGuard() : new ReplayGuard(Number(capacity));
    replayGuards.set(name, guard);
  }
  const guard = replayGuards.get(name);
  if (capacity !== null && guard.capacity !== Number(capacity)) throw new IhpError('Codec');
  return guard;
}

// Not a spec code: a bug in this shim, reported as such rather than hidden behind one.
const INTERNAL_ERROR = 'ShimInternalError';

// A request is a few levels deep; a bound keeps a hostile `id` from nesting deep enough to
// overflow the stack when it is echoed. (The Python reference gives up near 1,000 levels,
// at its recursion limit; no real request comes close to either.)
const MAX_REQUEST_DEPTH = 256;

const malformed = (detail) => ({ id: null, ok: false, error: 'Codec', detail });

/** One request line → one response object. Never throws. */
export function handleLine(line) {
  let request;
  try {
    // As Python's json.loads reads a request: the last duplicate wins, NaN is a number.
    const options = { maxDepth: MAX_REQUEST_DEPTH, duplicateKeys: 'last', constants: true };
    request = parseJson(line, options);
  } catch {
    return malformed('request is not JSON');
  }
  if (!(request instanceof Map)) return malformed('request is not a JSON object');
  const id = request.has('id') ? request.get('id') : null;
  const op = request.get('op');
  if (typeof op !== 'string' || !Object.hasOwn(OPERATIONS, op)) {
    return { id, ok: false, unsupported: true };
  }
  const args = request.has('args') ? request.get('args') : new Map();
  if (!(args instanceof Map)) {
    return { id, ok: false, error: 'Codec', detail: 'args is not an object' };
  }
  try {
    return { id, ok: true, result: OPERATIONS[op](args) };
  } catch (error) {
    if (error instanceof IhpError) {
      return { id, ok: false, error: error.code, detail: error.message };
    }
    process.stderr.write(`ihp-node-shim: internal error in ${op}: ${error?.stack ?? error}\n`);
    return { id, ok: false, error: INTERNAL_ERROR, detail: String(error?.name ?? 'Error') };
  }
}
