"""`python -m graphnas.cli`: the same as the `graphnas` console script."""

import sys

from graphnas.cli import main

sys.exit(main())
