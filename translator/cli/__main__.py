"""`python -m translator.cli`: the `translator` command without the window."""

import sys

from translator.cli import main

sys.exit(main())
