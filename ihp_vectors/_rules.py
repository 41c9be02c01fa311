"""The numbered rules of spec/ihp-v1.md that vectors trace to (docs/TRACEABILITY.md).

Every rule is data: `(rule id, spec section, what it says, why no vector or None)`.
A rule whose last field is None MUST be exercised by at least one vector case;
the others are checked elsewhere (HTTP suite, unit tests) and the table says where.
Each rule is anchored in the spec text (`rule_anchor`), so docs and reports link to it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RULES", "RULE_IDS", "SPEC_DOCUMENT", "Rule", "rule_anchor"]


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    section: str
    text: str
    not_vectorized: str | None = None


_HTTP = "not a shim operation: checked by `ihp-conformance http` (conformance/http_suite.py)"

RULES: tuple[Rule, ...] = (
    Rule("2.hkdf", "§2", "HKDF-SHA256, 32-byte output; an absent salt is 32 zero bytes"),
    Rule("2.seal", "§2", "SEAL is AES-256-GCM, output ciphertext ‖ 16-byte tag"),
    Rule("2.open-short", "§2", "OPEN fails with a tag error when ct is shorter than 16 bytes"),
    Rule("2.blake3", "§2", "BLAKE3 default mode, 32-byte output"),
    Rule("4.drift-range", "§4", "max_timestamp_drift in 0..=604,800"),
    Rule("4.versions-range", "§4", "allowed_versions a non-empty subset of {1, 2}"),
    Rule("4.aead", "§4", "aead_algorithm only AES256GCM"),
    Rule("4.payload-range", "§4", "max_payload_bytes in 1..=65,536"),
    Rule("4.fingerprint-range", "§4", "max_fingerprint_bytes in 1..=4,096"),
    Rule("4.validate", "§4", "validate(config) fails with Config for any out-of-range field"),
    Rule(
        "4.builder-drift",
        "§4",
        "the builder's drift setter fails with InvalidTimestamp",
        "the builder is a library API, not a shim operation: tests/ of ihp_ref",
    ),
    Rule(
        "5.max-len-bytes",
        "§5",
        "each fingerprint's UTF-8 byte length and the quote ≤ max_len, else Codec",
    ),
    Rule("5.empty-valid", "§5", "empty fingerprints and an empty quote are valid"),
    Rule("5.hash-encoding", "§5", "ServerEnvHash = BLAKE3(cpu‖0‖nic‖0‖os‖0‖build‖0‖Q)"),
    Rule("5.quote-presence", "§5", "Q = 0x01‖quote when present (even empty), 0x00 when absent"),
    Rule("5.no-normalisation", "§5", "fingerprints hashed as given: no trimming, no normalisation"),
    Rule(
        "5.host-detection",
        "§5",
        "host fingerprint detection order",
        "reads the host: ihp_ref.hostenv tests",
    ),
    Rule(
        "6.profile-key",
        "§6",
        "K_profile = HKDF(salt=ServerEnvHash, ikm=K_master, info=LABEL_PROFILE)",
    ),
    Rule(
        "6.session-key",
        "§6",
        "K_session = HKDF(K_profile, exporter, LABEL_SESSION‖nonce‖rtt‖path‖id)",
    ),
    Rule("6.key-length", "§6", "master, profile and session keys are exactly 32 bytes (KeyLength)"),
    Rule("6.profile-id-not-in-profile-key", "§6", "server_profile_id is not an input of K_profile"),
    Rule("6.exporter-any-length", "§6", "tls_exporter_key may have any length, including zero"),
    Rule(
        "6.session-validates-network",
        "§6",
        "deriving a session key validates the network context first",
    ),
    Rule(
        "6.rotation",
        "§6",
        "key ring rotation and transition windows",
        "a key-ring API, not a shim operation: tests/ of ihp_ref and ihp_server",
    ),
    Rule("7.1.path-hint-nonzero", "§7.1", "network_context.path_hint MUST be non-zero, else Codec"),
    Rule(
        "7.1.field-types",
        "§7.1",
        "version u8, header_id u64, nonce 12 bytes, profile id u64, rtt u8, path u16",
    ),
    Rule("7.2.aad", "§7.2", "AAD = domain‖version‖profile id‖rtt‖path‖ServerEnvHash (62 bytes)"),
    Rule(
        "7.3.plaintext", "§7.3", "plaintext = u32le(len)‖password‖i64le(timestamp)‖u64le(header_id)"
    ),
    Rule("7.3.timestamp-min", "§7.3", "I64_MIN is not a valid timestamp (InvalidTimestamp)"),
    Rule("7.4.0", "§7.4", "encrypt step 0: argument construction errors"),
    Rule("7.4.1", "§7.4", "encrypt step 1: path_hint 0 → Codec"),
    Rule("7.4.2", "§7.4", "encrypt step 2: validate(config) → Config"),
    Rule("7.4.3", "§7.4", "encrypt step 3: version not allowed → InvalidVersion"),
    Rule("7.4.4", "§7.4", "encrypt step 4: password longer than max_payload_bytes → Codec"),
    Rule("7.4.5", "§7.4", "encrypt step 5: payload = SEAL(K_session, nonce, AAD, plaintext)"),
    Rule("7.4.order", "§7.4", "encryption checks run in order, the first failure wins"),
    Rule("7.4.deterministic", "§7.4", "encryption is deterministic"),
    Rule("7.5.0", "§7.5", "decrypt step 0: argument construction errors"),
    Rule("7.5.1", "§7.5", "decrypt step 1: validate(config) → Config"),
    Rule("7.5.2", "§7.5", "decrypt step 2: version not allowed (incl. unknown) → InvalidVersion"),
    Rule("7.5.3", "§7.5", "decrypt step 3: path_hint 0 → Codec"),
    Rule("7.5.4", "§7.5", "decrypt step 4: OPEN fails → InvalidAeadTag"),
    Rule("7.5.5", "§7.5", "decrypt step 5: plaintext length rules → Codec"),
    Rule("7.5.6", "§7.5", "decrypt step 6: embedded timestamp I64_MIN → InvalidTimestamp"),
    Rule(
        "7.5.7", "§7.5", "decrypt step 7: embedded header id ≠ capsule header_id → HeaderIdMismatch"
    ),
    Rule(
        "7.5.8",
        "§7.5",
        "decrypt step 8: |now − timestamp| > drift, exact, symmetric → StaleTimestamp",
    ),
    Rule("7.5.9", "§7.5", "decrypt step 9: replay guard → NonceReuse / NonceCollision"),
    Rule("7.5.order", "§7.5", "decryption checks run in order, the first failure wins"),
    Rule("7.5.result", "§7.5", "on success the result is (password, timestamp, header_id)"),
    Rule("8.InvalidAeadTag", "§8", "error code InvalidAeadTag"),
    Rule("8.StaleTimestamp", "§8", "error code StaleTimestamp"),
    Rule("8.HeaderIdMismatch", "§8", "error code HeaderIdMismatch"),
    Rule("8.InvalidVersion", "§8", "error code InvalidVersion"),
    Rule("8.KeyLength", "§8", "error code KeyLength"),
    Rule("8.Config", "§8", "error code Config"),
    Rule("8.Codec", "§8", "error code Codec"),
    Rule("8.NonceReuse", "§8", "error code NonceReuse"),
    Rule("8.NonceCollision", "§8", "error code NonceCollision"),
    Rule(
        "8.KeyDerivation",
        "§8",
        "error code KeyDerivation",
        "HKDF-SHA256 with a 32-byte output cannot fail: no input provokes it",
    ),
    Rule("8.InvalidNonceLength", "§8", "error code InvalidNonceLength"),
    Rule("8.InvalidTimestamp", "§8", "error code InvalidTimestamp"),
    Rule(
        "8.SerializationFailed",
        "§8",
        "error code SerializationFailed",
        "serialising a well-typed capsule cannot fail: no input provokes it",
    ),
    Rule("9.1.json", "§9.1", "the text MUST be one JSON object (malformed JSON → Codec)"),
    Rule("9.1.size", "§9.1", "JSON text at most 1 MiB"),
    Rule("9.1.depth", "§9.1", "nesting deeper than 64 levels rejected (Codec), never a crash"),
    Rule("9.1.required-keys", "§9.1", "every key present"),
    Rule("9.1.duplicate-keys", "§9.1", "duplicate keys rejected"),
    Rule("9.1.unknown-keys", "§9.1", "unknown keys ignored"),
    Rule(
        "9.1.integers",
        "§9.1",
        "JSON integers only (no fraction, exponent, NaN, string, bool), in range",
    ),
    Rule("9.1.nonce-len", "§9.1", "client_nonce has exactly 12 elements"),
    Rule("9.1.byte-range", "§9.1", "byte arrays hold only integers 0..=255"),
    Rule("9.1.canonical", "§9.1", "to_json emits the compact canonical form, keys in order"),
    Rule("9.2.layout", "§9.2", "binary form layout, 40 + len(payload) bytes"),
    Rule(
        "9.2.length-prefix",
        "§9.2",
        "length prefix > remaining or > 65,572 rejected before allocating",
    ),
    Rule("9.2.trailing", "§9.2", "trailing bytes rejected"),
    Rule("9.3.http-form", "§9.3", "HTTP form of a capsule", _HTTP),
    Rule(
        "10.token",
        "§10",
        "token = base64url_nopad(HKDF(absent, K_session, LABEL_TOKEN‖nonce‖ts)), 43 chars",
    ),
    Rule("11.http", "§11", "HTTP binding", _HTTP),
    Rule("12.rtt-bucket", "§12", "bucket = clamp(round_half_away_from_zero(mean/5.0), 0, 255)"),
    Rule("12.half-away", "§12", "half-way means round away from zero (12.5 ms → 3)"),
    Rule("12.clamp", "§12", "bucket clamped to 0..=255"),
    Rule("12.client", "§12", "fetch_profile / build_capsule_for_password", _HTTP),
    Rule("13.reuse", "§13", "same (profile id, nonce), same payload digest → NonceReuse"),
    Rule(
        "13.collision", "§13", "same (profile id, nonce), different payload digest → NonceCollision"
    ),
    Rule("13.key", "§13", "the guard is keyed by (server_profile_id, client_nonce)"),
    Rule("13.failures-not-recorded", "§13", "failed decryptions never touch the guard"),
    Rule("13.guard-scope", "§13", "a guard only knows the capsules it has itself accepted"),
    Rule("13.capacity", "§13", "a full guard forgets only dead entries, then fails closed"),
    Rule(
        "14.nul-ambiguity",
        "§14",
        "the SEP encoding is not injective with NUL bytes; hash as specified",
    ),
    Rule("15.DriftOverflow", "§15", "divergence DriftOverflow"),
    Rule("15.BincodeTrailingBytes", "§15", "divergence BincodeTrailingBytes"),
    Rule("15.BincodeHugeLength", "§15", "divergence BincodeHugeLength"),
    Rule("15.JsonDepthUnbounded", "§15", "divergence JsonDepthUnbounded"),
    Rule("15.JsonStructAsArray", "§15", "divergence JsonStructAsArray"),
    Rule("15.JsonNoSizeCap", "§15", "divergence JsonNoSizeCap"),
    Rule("15.V2NotCompiled", "§15", "divergence V2NotCompiled"),
    Rule("15.ServerVersionPinned", "§15", "divergence ServerVersionPinned", _HTTP),
    Rule(
        "15.DecryptTotalMissing",
        "§15",
        "divergence DecryptTotalMissing",
        "metrics are not shim results: tests/ of ihp_server's exporter",
    ),
    Rule("15.NoNonceTracking", "§15", "divergence NoNonceTracking"),
    Rule(
        "15.StaleFuzzKey", "§15", "divergence StaleFuzzKey", "a property of fuzz seeds: fuzz/ tests"
    ),
    Rule(
        "16.metrics", "§16", "metric names and increments", "metrics are not shim results: tests/"
    ),
    Rule("17.golden-json", "§17", "golden_capsule_v1.json from the §17 inputs"),
    Rule("17.golden-hex", "§17", "capsule_v1.hex from the §17 inputs"),
)

RULE_IDS: frozenset[str] = frozenset(rule.rule_id for rule in RULES)

SPEC_DOCUMENT = "spec/ihp-v1.md"
"""The spec the rules come from, relative to the repository root."""


def rule_anchor(rule_id: str) -> str:
    """Where a rule is written: `spec/ihp-v1.md#rule-<id>`, relative to the repository root.

    Every rule id has exactly one `<a name="rule-<id>"></a>` in the spec (tests/test_spec.py).
    """
    if rule_id not in RULE_IDS:
        raise ValueError(f"unknown spec rule id {rule_id!r}")
    return f"{SPEC_DOCUMENT}#rule-{rule_id}"
