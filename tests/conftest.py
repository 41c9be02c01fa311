"""Hypothesis profiles for every test: `ci` (fast, the default) and `nightly` (many
examples), chosen by the environment variable IHP_HYPOTHESIS_PROFILE."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=50, deadline=None)
settings.register_profile("nightly", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("IHP_HYPOTHESIS_PROFILE", "ci"))
