"""pytest plugin: `pytest --ihp-impl "<shim command>"` runs the suite as pytest items.

One item per case id (vectors, then the seeded generated cases), so `-k`, `-n`
(pytest-xdist: every worker generates the same cases from the same seed and starts its
own shim) and JUnit tooling work as usual. Without `--ihp-impl` the plugin does nothing:
it is registered for every pytest run in an environment where this package is installed,
so it imports nothing of the suite until then (`conformance.pytest_items` has the items).
"""

from __future__ import annotations

import pytest

__all__ = ["pytest_addoption", "pytest_collection"]

_DEFAULT_SEED = 1  # fixed: xdist workers must collect the same items


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ihp-conformance", "IHP conformance suite")
    group.addoption(
        "--ihp-impl",
        default=None,
        metavar="CMD",
        help='run the IHP conformance cases against this shim command (or "ref")',
    )
    group.addoption(
        "--ihp-seed",
        type=int,
        default=_DEFAULT_SEED,
        help=f"seed of the generated cases (default {_DEFAULT_SEED})",
    )
    group.addoption(
        "--ihp-cases",
        type=int,
        default=None,
        help="generated cases per operation (default: the runner's)",
    )
    group.addoption(
        "--ihp-expectations",
        default=None,
        metavar="FILE",
        help="expectations file (skip/xfail globs)",
    )
    group.addoption("--ihp-timeout", type=float, default=10.0,
                    help="per-request timeout in seconds")  # fmt: skip


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> bool | None:
    """With `--ihp-impl`, the suite's cases replace the usual collection."""
    impl = session.config.getoption("ihp_impl")
    if not impl:
        return None
    from conformance.pytest_items import collect_suite

    collect_suite(session, impl)
    return True
