"""`python -m translator`: the `translator` command without the window (the core never imports ui/)."""

import sys

from translator.cli import main

sys.exit(main())
