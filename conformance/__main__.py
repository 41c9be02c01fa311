"""`python -m conformance` is `ihp-conformance`."""

import sys

from conformance.cli import main

sys.exit(main())
