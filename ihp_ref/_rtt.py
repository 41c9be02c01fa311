"""The client's RTT bucket (spec §12)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ._constants import RTT_MS_PER_BUCKET, U8_MAX
from ._errors import ErrorCode, IhpError

__all__ = ["round_half_away_from_zero", "rtt_bucket_from_samples"]


def round_half_away_from_zero(x: float) -> int:
    """Rust's `f64::round`. Python's `round` rounds half to even (2.5 → 2): not that.

    `x - floor(x)` is exact for floats, unlike `floor(x + 0.5)`, which rounds
    0.49999999999999994 up.
    """
    magnitude = abs(x)
    whole = math.floor(magnitude)
    rounded = whole + 1 if magnitude - whole >= 0.5 else whole
    return int(math.copysign(rounded, x)) if rounded else 0


def rtt_bucket_from_samples(samples_ms: Sequence[float]) -> int:
    """clamp(round_half_away_from_zero(mean_ms / 5.0), 0, 255).

    No samples, or a sample that is not a finite number, is `Codec`.
    """
    if not samples_ms:
        raise IhpError(ErrorCode.CODEC)
    total = 0.0
    for sample in samples_ms:  # left-to-right sum, as Rust's Iterator::sum (not math.fsum)
        if isinstance(sample, bool) or not isinstance(sample, int | float):
            raise TypeError("RTT samples must be numbers")
        try:
            total += float(sample)
        except OverflowError:  # an int too large for a float: not a finite mean
            raise IhpError(ErrorCode.CODEC) from None
    if not math.isfinite(total):
        raise IhpError(ErrorCode.CODEC)
    bucket = round_half_away_from_zero(total / len(samples_ms) / RTT_MS_PER_BUCKET)
    return min(max(bucket, 0), U8_MAX)
