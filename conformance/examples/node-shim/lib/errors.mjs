// Spec §8: one error family; every failure carries exactly one code and a fixed message
// that never contains key, nonce, password or plaintext bytes.

export const ERROR_MESSAGES = Object.freeze({
  InvalidAeadTag: 'AEAD authentication failed',
  StaleTimestamp: 'capsule timestamp outside allowed drift',
  HeaderIdMismatch: 'plaintext header_id mismatch',
  InvalidVersion: 'capsule version not supported',
  KeyLength: 'invalid key length',
  Config: 'configuration rejected',
  Codec: 'encoding or decoding failure',
  NonceReuse: 'nonce reuse detected',
  NonceCollision: 'nonce collision detected',
  KeyDerivation: 'hkdf expansion failed',
  InvalidNonceLength: 'nonce length mismatch',
  InvalidTimestamp: 'timestamp out of range',
  SerializationFailed: 'serialization failed',
});

export class IhpError extends Error {
  constructor(code) {
    if (!Object.hasOwn(ERROR_MESSAGES, code)) throw new TypeError(`unknown IHP error code ${code}`);
    super(ERROR_MESSAGES[code]);
    this.code = code;
  }
}
