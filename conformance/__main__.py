"""`python -m conformance` is `ihp-conformance`."""

import sys

from conformance.cli import main

__all__: list[str] = []

sys.exit(main())
