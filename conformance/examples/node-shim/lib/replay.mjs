// Spec §13: the replay guard. For each successfully decrypted capsule it remembers
// (server_profile_id, client_nonce) → SHA-256(payload) until timestamp + max drift
// (older capsules fail the drift check anyway). Its clock is each decryption's `now`.
import { createHash } from 'node:crypto';
import { IhpError } from './errors.mjs';

export const DEFAULT_REPLAY_CAPACITY = 1_000_000;

export class ReplayGuard {
  #capacity;
  #entries = new Map(); // "profileId:nonceHex" → {digest, expiresAt}

  constructor(capacity = DEFAULT_REPLAY_CAPACITY) {
    this.#capacity = capacity;
  }

  get size() {
    return this.#entries.size;
  }

  get capacity() {
    return this.#capacity;
  }

  /** Step 9 of spec §7.5: reuse, collision, or record. Only successes reach here. */
  checkAndRecord(serverProfileId, clientNonce, payload, timestamp, now, window) {
    const key = `${serverProfileId}:${clientNonce.toString('hex')}`;
    const digest = createHash('sha256').update(payload).digest('hex');
    const seen = this.#entries.get(key);
    // An entry is live while now ≤ its timestamp + the asking decryption's window: a clock
    // that goes backwards, or a drift raised later, never lets a replay through.
    // Digests of public ciphertext: comparing them leaks no secret.
    if (seen !== undefined && now <= seen.timestamp + window) {
      throw new IhpError(seen.digest === digest ? 'NonceReuse' : 'NonceCollision');
    }
    if (seen === undefined && this.#entries.size >= this.#capacity) {
      this.#forgetDead(now, window); // only a full guard forgets entries dead at `now`
      if (this.#entries.size >= this.#capacity) throw new IhpError('NonceReuse'); // fail closed
    }
    this.#entries.set(key, { digest, timestamp });
  }

  /** Forget the entries dead at `now` (a linear sweep, only when the guard is full). */
  #forgetDead(now, window) {
    for (const [key, entry] of this.#entries) {
      if (entry.timestamp + window < now) this.#entries.delete(key);
    }
  }
}
