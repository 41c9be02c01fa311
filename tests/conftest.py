"""Hypothesis profiles for every test: `ci` (the default; Hypothesis's own 100 examples, so
no test is weakened) and `nightly` (5,000 examples), chosen by IHP_HYPOTHESIS_PROFILE."""

import os

import pytest
from hypothesis import HealthCheck, settings

# `pytester`: whole pytest runs in this process (tests/test_conformance_plugin.py)
pytest_plugins = ["pytester"]

settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("nightly", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])


def pytest_configure(config: pytest.Config) -> None:
    profile = os.environ.get("IHP_HYPOTHESIS_PROFILE", "ci")
    if profile not in ("ci", "nightly"):
        raise pytest.UsageError(f"IHP_HYPOTHESIS_PROFILE={profile!r}: use 'ci' or 'nightly'")
    settings.load_profile(profile)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `early` tests (the wheel build, the fuzz campaign, the flood, the mutant tables: the
    # longest) start first: pytest-xdist hands out tests in this order, so the other worker
    # runs the rest meanwhile instead of idling behind a long last test
    items.sort(key=lambda item: item.get_closest_marker("early") is None)
