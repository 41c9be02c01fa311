"""Every flag a vector case may carry, with its Wycheproof-style note.

A flag says *why* a case exists; its note says what an implementation must do.
Divergence flags (spec §15) also say what the original Rust crate `ihp` 0.1.0 does.
"""

from __future__ import annotations

from ._model import Note

__all__ = ["DIVERGENCE_FLAGS", "NOTES", "note_table"]


def _n(flag: str, bug_type: str, description: str) -> Note:
    return Note(flag=flag, bug_type=bug_type, description=description)


_ALL: tuple[Note, ...] = (
    _n(
        "Ktv",
        "BASIC",
        "A known-answer case built from the spec §17 fixture inputs: the output "
        "must match byte for byte.",
    ),
    _n(
        "Pseudorandom",
        "BASIC",
        "Inputs drawn from a fixed-seed generator: the output must match byte for byte.",
    ),
    _n(
        "EdgeCaseValue",
        "EDGE_CASE",
        "An integer at the extreme of its type (0, U64_MAX, I64_MAX, "
        "I64_MIN + 1, 255, 65535): it must be encoded exactly and accepted.",
    ),
    _n(
        "Boundary",
        "EDGE_CASE",
        "A value exactly at, or one past, a limit of the spec: the limit "
        "itself must be accepted and one past it rejected with the stated error.",
    ),
    _n(
        "ArgumentRange",
        "MODIFIED_PARAMETER",
        "An argument outside its field's type (wrong length "
        "or integer range): it must be rejected at argument construction (step 0) "
        "with the code the spec assigns, before any other check.",
    ),
    _n(
        "InvalidConfig",
        "MODIFIED_PARAMETER",
        "A configuration field outside its range (spec §4): validate must reject it with Config.",
    ),
    _n(
        "VersionNotAllowed",
        "MODIFIED_PARAMETER",
        "A version outside the configured allow-list, "
        "including unknown versions: it must be rejected with InvalidVersion.",
    ),
    _n(
        "ExperimentalV2",
        "FUNCTIONALITY",
        "Version 2 allowed by configuration: it must work with "
        "the same cryptography as version 1, only the version byte differs.",
    ),
    _n(
        "PathHintZero",
        "MODIFIED_PARAMETER",
        "network_context.path_hint is 0: the protocol check (spec §7.1) must reject it with Codec.",
    ),
    _n(
        "ModifiedCiphertext",
        "AUTH_BYPASS",
        "The payload (ciphertext or tag) was altered, truncated "
        "or extended: decryption must fail with InvalidAeadTag.",
    ),
    _n(
        "ModifiedAad",
        "AUTH_BYPASS",
        "A clear capsule field bound into the AAD (version, profile id, "
        "rtt bucket, path hint) or the nonce was altered: decryption must fail with "
        "InvalidAeadTag.",
    ),
    _n(
        "WrongKey",
        "AUTH_BYPASS",
        "The session key or ServerEnvHash does not match the one used to "
        "encrypt: decryption must fail with InvalidAeadTag.",
    ),
    _n(
        "MalformedPlaintext",
        "MISSING_STEP",
        "The payload authenticates but the plaintext inside "
        "breaks the layout of spec §7.3: decryption must reject it with the step 5 or 6 "
        "error, never crash or read out of bounds.",
    ),
    _n(
        "HeaderIdMismatch",
        "MISSING_STEP",
        "The clear header_id (not authenticated) differs from "
        "the one inside the plaintext: decryption must fail with HeaderIdMismatch.",
    ),
    _n(
        "Drift",
        "EDGE_CASE",
        "A timestamp at, inside or outside the allowed drift in either "
        "direction: a drift equal to the maximum is accepted, one more is StaleTimestamp.",
    ),
    _n(
        "CheckOrder",
        "CHECK_ORDER",
        "Two rules are broken at once: the error of the earlier check "
        "of spec §7.4 / §7.5 must win.",
    ),
    _n(
        "Utf8ByteLength",
        "EDGE_CASE",
        "Multi-byte UTF-8 text: limits count UTF-8 bytes, not characters.",
    ),
    _n(
        "QuotePresence",
        "EDGE_CASE",
        "An absent TPM quote and an empty one hash differently (0x00 versus 0x01).",
    ),
    _n(
        "NulAmbiguity",
        "EDGE_CASE",
        "Fingerprints containing NUL: the SEP encoding is not "
        "injective (spec §14); an implementation must still hash exactly as specified, so these "
        "cases share one hash.",
    ),
    _n(
        "NoNormalisation",
        "EDGE_CASE",
        "Fingerprints are hashed as given: whitespace and Unicode normal forms are never changed.",
    ),
    _n(
        "ProfileIdNotInProfileKey",
        "FUNCTIONALITY",
        "server_profile_id is not an input of K_profile: different ids give the same profile key.",
    ),
    _n(
        "ExporterKeyLength",
        "EDGE_CASE",
        "A TLS exporter key of unusual length (0, 1, large): any "
        "length is valid input keying material.",
    ),
    _n(
        "JsonStrictness",
        "MALFORMED_INPUT",
        "JSON that breaks a decoding rule of spec §9.1: it "
        "must be rejected with Codec, never accepted leniently.",
    ),
    _n(
        "JsonDuplicateKey",
        "MALFORMED_INPUT",
        "A known key appears twice: it must be rejected with Codec (last-wins parsers accept it).",
    ),
    _n("JsonUnknownKey", "FUNCTIONALITY", "Unknown keys of any JSON type must be ignored."),
    _n(
        "SizeLimit",
        "RESOURCE_EXHAUSTION",
        "Input at or past a size limit: the limit is accepted, "
        "past it is Codec, without unbounded allocation.",
    ),
    _n(
        "Truncated",
        "MALFORMED_INPUT",
        "The binary form is cut short: it must be rejected with Codec.",
    ),
    _n(
        "Canonical",
        "FUNCTIONALITY",
        "The canonical encoding must be emitted exactly, byte for byte.",
    ),
    _n(
        "Base64Url",
        "FUNCTIONALITY",
        "The token is unpadded base64url: '-' and '_', never '+', '/' or '='.",
    ),
    _n(
        "HalfwayRounding",
        "EDGE_CASE",
        "A mean exactly half-way between buckets: round half away "
        "from zero (12.5 ms → 3), not half to even.",
    ),
    _n("Clamp", "EDGE_CASE", "The bucket is clamped to 0..=255."),
    _n("Replay", "REPLAY", "A capsule accepted once is replayed: NonceReuse."),
    _n(
        "NonceCollision",
        "REPLAY",
        "A different capsule reuses an accepted (profile id, nonce): NonceCollision.",
    ),
    _n(
        "FailedNotRecorded",
        "REPLAY",
        "A failed decryption must not be recorded by the replay "
        "guard: the same nonce is accepted later.",
    ),
    _n(
        "GuardCapacity",
        "REPLAY",
        "The steps size their guard (replay_guard_capacity) and fill it: a full guard "
        "forgets only entries no capsule could replay at the request's now (now > timestamp "
        "+ drift), then fails closed with NonceReuse. An implementation that cannot size its "
        "guard answers unsupported.",
    ),
    _n(
        "GuardScope",
        "REPLAY",
        "A replay guard only knows what it accepted itself; other profile "
        "ids and other guards are independent.",
    ),
    # spec §15: what the Rust crate does, then what the spec requires
    _n(
        "DriftOverflow",
        "KNOWN_DIVERGENCE",
        "The Rust crate computes (now - ts).abs() in i64: it "
        "panics in debug builds and wraps in release builds, where it accepts some of these "
        "capsules. The drift must be computed exactly: StaleTimestamp.",
    ),
    _n(
        "BincodeTrailingBytes",
        "KNOWN_DIVERGENCE",
        "The Rust crate's bincode::deserialize ignores "
        "trailing bytes and accepts this input. Trailing bytes must be rejected with Codec.",
    ),
    _n(
        "BincodeHugeLength",
        "KNOWN_DIVERGENCE",
        "The Rust crate trusts the length prefix (it "
        "allocates for it and has no 65,572 cap). A prefix larger than the remaining bytes or than "
        "65,572 must be rejected with Codec before allocating.",
    ),
    _n(
        "JsonDepthUnbounded",
        "KNOWN_DIVERGENCE",
        "The Rust crate (serde) skips an unknown key's "
        "value of any nesting depth and accepts this input. Nesting deeper than 64 levels must be "
        "rejected with Codec, never crash.",
    ),
    _n(
        "JsonStructAsArray",
        "KNOWN_DIVERGENCE",
        "The Rust crate's serde-derived decoders also read a struct written as a JSON array "
        "of its fields in order, so [1,44,[…],1,[5,120],[…]] or \"network_context\":[5,120] "
        "is accepted. Only the object form of spec §9.1 is a capsule: Codec.",
    ),
    _n(
        "JsonNoSizeCap",
        "KNOWN_DIVERGENCE",
        "The Rust crate's serde_json reads a document of any size (a capsule padded past "
        "1 MiB with an unknown key is accepted). A document over 1 MiB must be rejected with "
        "Codec.",
    ),
    _n(
        "V2NotCompiled",
        "KNOWN_DIVERGENCE",
        "The Rust crate without its experimental_v2 feature "
        "cannot express version 2 and rejects this configuration. Version 2 is a configuration "
        "choice: the case must succeed.",
    ),
    _n(
        "NoNonceTracking",
        "KNOWN_DIVERGENCE",
        "The Rust crate never raises NonceReuse or "
        "NonceCollision and accepts the replayed step. A replay guard (spec §13) must reject it.",
    ),
)

NOTES: dict[str, Note] = {note.flag: note for note in _ALL}

DIVERGENCE_FLAGS: frozenset[str] = frozenset(
    note.flag for note in _ALL if note.bug_type == "KNOWN_DIVERGENCE"
)


def note_table(flags: set[str]) -> dict[str, dict[str, str]]:
    """The `notes` object of a file: the notes of the flags it uses, sorted by flag."""
    return {
        flag: {"bugType": NOTES[flag].bug_type, "description": NOTES[flag].description}
        for flag in sorted(flags)
    }
