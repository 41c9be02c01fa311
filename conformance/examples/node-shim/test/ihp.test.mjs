// Known answers and decoder traps, in JavaScript alone (`npm test`). The cross-language
// proof is elsewhere: tests/test_node_shim.py compares every operation with the Python
// reference, and `make node-shim` runs the conformance suite against shim.mjs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  computeServerEnvHash,
  decryptCapsule,
  defaultConfig,
  deriveProfileKey,
  deriveSessionKey,
  encryptCapsule,
  roundHalfAwayFromZero,
} from '../lib/ihp.mjs';
import { parseJson } from '../lib/json.mjs';
import {
  capsuleFromBinary,
  capsuleFromJson,
  capsuleToBinary,
  capsuleToJson,
} from '../lib/wire.mjs';

const ascii = (s) => Buffer.from(s, 'ascii');
const TLS_EXPORTER_KEY = ascii('tls exporter key material');

// Spec §17, the bytes of vectors/golden/ (made by the Python reference).
const GOLDEN_JSON =
  '{"version":1,"header_id":44,"client_nonce":[1,1,1,1,1,1,1,1,1,1,1,1],"server_profile_id":1,' +
  '"network_context":{"rtt_bucket":5,"path_hint":120},"payload":[77,180,95,53,4,122,217,216,60,' +
  '13,133,11,184,237,42,196,187,206,228,12,190,92,8,56,188,52,183,96,165,69,86,233,211,82,185,' +
  '151,28,152,29,231,116,64,221,127,20,12,179,237]}';
const CAPSULE_V1_HEX =
  '0163000000000000000707070707070707070707072a000000000000000778003300000000000000d7ed6dd895' +
  '9a649c2f6d6bb72e992975d4a9c1d216bcb46af76c9c6920171390710259e65f4abe6fc85875c33bf9c55704c763';

/** Spec §17: a fixture's inputs through the whole chain, K_master to capsule. */
function fixture(inputs) {
  const { masterKey, envHash, serverProfileId, nonceByte, rttBucket } = inputs;
  const { password, timestamp, headerId } = inputs;
  const clientNonce = Buffer.alloc(12, nonceByte);
  const networkContext = { rttBucket, pathHint: 120 };
  const profileKey = deriveProfileKey(ascii(masterKey), envHash);
  const sessionKey = deriveSessionKey(
    profileKey, TLS_EXPORTER_KEY, clientNonce, networkContext, serverProfileId,
  );
  const capsule = encryptCapsule({
    version: 1, config: defaultConfig(), headerId, clientNonce, serverProfileId, networkContext,
    envHash, sessionKey, password: ascii(password), timestamp,
  });
  return { capsule, sessionKey };
}

test('golden_capsule_v1.json is rebuilt from its spec §17 inputs and decrypts', () => {
  const envHash = Buffer.alloc(32, 0x42);
  const { capsule, sessionKey } = fixture({
    masterKey: 'IHP deterministic master keyseed', envHash, serverProfileId: 1n, nonceByte: 1,
    rttBucket: 5, password: 'known-answer', timestamp: 1_700_000_123n, headerId: 44n,
  });
  assert.equal(capsuleToJson(capsule), GOLDEN_JSON);
  const decoded = capsuleFromJson(GOLDEN_JSON);
  const now = 1_700_000_123n;
  const config = defaultConfig();
  const plain = decryptCapsule({ capsule: decoded, envHash, sessionKey, now, config });
  assert.equal(plain.password.toString('ascii'), 'known-answer');
});

test('capsule_v1.hex is rebuilt from its spec §17 inputs (SEP hash included)', () => {
  const sep = {
    cpu: 'cpu:fixture', nic: 'nic:fixture', os: 'os:fixture', build: 'build:fixture',
    tpmQuote: null,
  };
  const envHash = computeServerEnvHash(sep, defaultConfig());
  const { capsule } = fixture({
    masterKey: 'master key material for ihp pro!', envHash, serverProfileId: 42n, nonceByte: 7,
    rttBucket: 7, password: 'fixture payload', timestamp: 1_700_000_000n, headerId: 99n,
  });
  assert.equal(capsuleToBinary(capsule).toString('hex'), CAPSULE_V1_HEX);
  assert.deepEqual(capsuleFromBinary(Buffer.from(CAPSULE_V1_HEX, 'hex')), capsule);
});

test('the JSON reader keeps 64-bit integers exact, where JSON.parse rounds them', () => {
  const text = GOLDEN_JSON.replace('"header_id":44', '"header_id":18446744073709551615');
  assert.equal(capsuleFromJson(text).headerId, 18446744073709551615n);
  assert.notEqual(BigInt(JSON.parse(text).header_id), 18446744073709551615n);
});

test('the JSON reader rejects duplicate keys at any depth, unlike JSON.parse', () => {
  const withPrefix = (prefix) => GOLDEN_JSON.replace('{"version":1', `{${prefix}"version":1`);
  assert.throws(() => capsuleFromJson(withPrefix('"version":1,')), { code: 'Codec' });
  assert.throws(() => capsuleFromJson(withPrefix('"x":{"a":1,"a":1},')), { code: 'Codec' });
  assert.equal(capsuleFromJson(withPrefix('"x":{"a":1,"b":1},')).headerId, 44n);
});

test('nesting: 64 levels pass, 65 fail, a million neither recurse nor crash', () => {
  const nested = (depth) => '['.repeat(depth) + ']'.repeat(depth);
  const withExtra = (depth) =>
    GOLDEN_JSON.replace('{"version":1', `{"x":${nested(depth)},"version":1`);
  assert.equal(capsuleFromJson(withExtra(63)).headerId, 44n); // 1 (the object) + 63 = 64
  assert.throws(() => capsuleFromJson(withExtra(64)), { code: 'Codec' });
  assert.throws(() => parseJson(nested(1_000_000), { maxDepth: 64 }));
  assert.equal(parseJson(nested(1_000_000)).length, 1); // unbounded: still no stack overflow
});

test('integers only: fractions, exponents, booleans, strings, -1 and -0 are Codec', () => {
  for (const bad of ['1.0', '1e0', 'true', '"1"', '-1', '-0', 'NaN', '256', '01']) {
    const text = GOLDEN_JSON.replace('"version":1', `"version":${bad}`);
    assert.throws(() => capsuleFromJson(text), { code: 'Codec' }, bad);
  }
  // -0 inside an unknown key's value is ignored like any other number
  assert.equal(capsuleFromJson(GOLDEN_JSON.replace('{', '{"unknown":-0,')).version, 1);
});

test('binary form: a huge length prefix and trailing bytes are Codec', () => {
  const data = Buffer.from(CAPSULE_V1_HEX, 'hex');
  const huge = Buffer.from(data);
  huge.writeBigUInt64LE(2n ** 64n - 1n, 32);
  assert.throws(() => capsuleFromBinary(huge), { code: 'Codec' });
  assert.throws(() => capsuleFromBinary(Buffer.concat([data, Buffer.of(0)])), { code: 'Codec' });
  assert.throws(() => capsuleFromBinary(data.subarray(0, data.length - 1)), { code: 'Codec' });
});

test('drift is exact: |now − ts| ≥ 2^63 is stale, never wrapped (§15 DriftOverflow)', () => {
  const envHash = Buffer.alloc(32, 0x42);
  const { capsule, sessionKey } = fixture({
    masterKey: 'IHP deterministic master keyseed', envHash, serverProfileId: 1n, nonceByte: 1,
    rttBucket: 5, password: 'pw', timestamp: -(2n ** 62n), headerId: 1n,
  });
  const config = { ...defaultConfig(), maxTimestampDrift: 604_800n };
  const at = (now) => () => decryptCapsule({ capsule, envHash, sessionKey, now, config });
  assert.throws(at(2n ** 63n - 1n), { code: 'StaleTimestamp' });
  assert.equal(at(-(2n ** 62n) + 604_800n)().password.toString(), 'pw');
  assert.throws(at(-(2n ** 62n) + 604_801n), { code: 'StaleTimestamp' });
});

test('RTT rounding is half away from zero, and 0.49999999999999994 rounds down', () => {
  assert.equal(roundHalfAwayFromZero(2.5), 3);
  assert.equal(roundHalfAwayFromZero(-2.5), -3);
  assert.equal(roundHalfAwayFromZero(0.49999999999999994), 0);
});

test('the shim answers pipelined requests in order and exits 0 when stdin closes', () => {
  const shim = fileURLToPath(new URL('../shim.mjs', import.meta.url));
  const lines = ['{"id":1,"op":"hello","args":{"protocol":"ihp-shim/1"}}', 'not json',
    '{"id":2,"op":"nope","args":{}}',
    '{"id":3,"op":"config_validate","args":{"config":{"max_payload_bytes":0}}}'];
  const done = spawnSync(process.execPath, [shim], { input: lines.join('\n') + '\n' });
  assert.equal(done.status, 0);
  const responses = done.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(responses.map((r) => [r.id, r.ok, r.error ?? r.unsupported ?? null]), [
    [1, true, null], [null, false, 'Codec'], [2, false, true], [3, false, 'Config'],
  ]);
});
