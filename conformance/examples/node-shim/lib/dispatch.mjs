// ihp-shim/1 dispatch (shim-protocol.md): one request object in, one response object out.
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
  sessionToken,
  validateConfig,
} from './ihp.mjs';
import { parseJson } from './json.mjs';
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
    ops: Object.keys(OPERATIONS).filter((op) => op !== 'hello'),
  }),

  config_validate: (args) => {
    validateConfig(A.config(A.arg(args, 'config')));
    return {};
  },

  sep_hash: (args) => {
    const sep = A.sep(A.arg(args, 'sep'));
    const config = defaultConfig();
    const limit = A.optionalArg(args, 'max_fingerprint_bytes');
    if (limit !== null) config.maxFingerprintBytes = limit;
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
    const capsule = encryptCapsule({
      version: A.version(A.arg(args, 'version')),
      config: A.config(A.optionalArg(args, 'config')),
      headerId: A.u64(A.arg(args, 'header_id')),
      clientNonce,
      serverProfileId: A.u64(A.arg(args, 'server_profile_id')),
      networkContext: A.networkContext(A.arg(args, 'network_context')),
      envHash: A.envHash(A.arg(args, 'env_hash')),
      sessionKey,
      password,
      timestamp,
    });
    return { capsule: A.capsuleResult(capsule) };
  },

  decrypt_capsule: (args) => {
    if (A.optionalArg(args, 'replay_guard') !== null) return UNSUPPORTED;
    // Spec §7.5 step 0, in its order: key, now, env hash and capsule fields, nonce length.
    const sessionKey = A.key(A.arg(args, 'session_key'));
    const now = A.timestamp(A.arg(args, 'now'));
    const envHash = A.envHash(A.arg(args, 'env_hash'));
    const capsule = A.capsule(A.arg(args, 'capsule'));
    const config = A.config(A.optionalArg(args, 'config'));
    const plain = decryptCapsule({ capsule, envHash, sessionKey, now, config });
    return {
      password: hex(plain.password),
      timestamp: plain.timestamp.toString(),
      header_id: plain.headerId.toString(),
    };
  },

  capsule_from_json: (args) => ({ capsule: A.capsuleResult(capsuleFromJson(A.text(A.arg(args, 'json')))) }),
  capsule_to_json: (args) => ({ json: capsuleToJson(A.capsule(A.arg(args, 'capsule'))) }),
  capsule_from_binary: (args) => ({ capsule: A.capsuleResult(capsuleFromBinary(A.bytes(A.arg(args, 'hex')))) }),
  capsule_to_binary: (args) => ({ hex: hex(capsuleToBinary(A.capsule(A.arg(args, 'capsule')))) }),

  session_token: (args) => {
    const sessionKey = A.key(A.arg(args, 'session_key'));
    const clientNonce = A.nonce(A.arg(args, 'client_nonce'));
    const timestamp = A.timestamp(A.arg(args, 'timestamp'));
    return { token: sessionToken(sessionKey, clientNonce, timestamp) };
  },
};

const UNSUPPORTED = Symbol('unsupported');

/** One request line → one response object. Never throws. */
export function handleLine(line) {
  let request;
  try {
    request = parseJson(line, { duplicateKeys: 'last', constants: true });
  } catch {
    return { id: null, ok: false, error: 'Codec', detail: 'request is not JSON' };
  }
  const id = request instanceof Map && request.has('id') ? request.get('id') : null;
  const op = request instanceof Map ? request.get('op') : undefined;
  if (typeof op !== 'string' || !Object.hasOwn(OPERATIONS, op)) {
    return { id, ok: false, unsupported: true };
  }
  try {
    const result = OPERATIONS[op](request.get('args') ?? new Map());
    if (result === UNSUPPORTED) return { id, ok: false, unsupported: true };
    return { id, ok: true, result };
  } catch (error) {
    if (error instanceof IhpError) return { id, ok: false, error: error.code, detail: error.message };
    process.stderr.write(`ihp-node-shim: internal error in ${op}: ${error?.stack ?? error}\n`);
    return { id, ok: false, error: 'Codec', detail: 'internal error' };
  }
}
