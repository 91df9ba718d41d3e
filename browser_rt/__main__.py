"""`python -m browser_rt` runs the `browser-rt` command line."""

import sys

from browser_rt.cli import main

sys.exit(main())
