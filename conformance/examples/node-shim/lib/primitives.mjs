// Spec §2 primitives and §1 fixed-width encodings. node:crypto does HKDF and AES-GCM;
// BLAKE3 comes from @noble/hashes (Node's OpenSSL build has no BLAKE3).
import { createCipheriv, createDecipheriv, hkdfSync, timingSafeEqual } from 'node:crypto';
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3.js';

export const KEY_BYTES = 32;
export const NONCE_LEN = 12;
export const TAG_LEN = 16;
export const U8_MAX = 0xffn;
export const U16_MAX = 0xffffn;
export const U64_MAX = (1n << 64n) - 1n;
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;

/** HKDF-SHA256, 32-byte output; `salt = null` is absent: 32 zero bytes (RFC 5869 §2.2). */
export function hkdf(salt, ikm, info) {
  return Buffer.from(hkdfSync('sha256', ikm, salt ?? Buffer.alloc(32), info, 32));
}

export function blake3(message) {
  return Buffer.from(nobleBlake3(message));
}

/** AES-256-GCM: `ciphertext ‖ tag`. */
export function seal(key, nonce, aad, plaintext) {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LEN });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** AES-256-GCM decryption; null when `sealed` is shorter than a tag or does not authenticate. */
export function open(key, nonce, aad, sealed) {
  if (sealed.length < TAG_LEN) return null;
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LEN });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LEN));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_LEN));
  try {
    return Buffer.concat([body, decipher.final()]);
  } catch {
    return null;
  }
}

export function constantTimeEqual(a, b) {
  return a.length === b.length && timingSafeEqual(a, b);
}

export const u8 = (x) => Buffer.of(Number(x));

export function u16le(x) {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(Number(x));
  return b;
}

export function u32le(x) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Number(x));
  return b;
}

export function u64le(x) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(x));
  return b;
}

export function i64le(x) {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(x));
  return b;
}
