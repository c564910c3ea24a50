"""``python -m tkach_sync``: the command-line agent."""

import sys

from .cli import main

sys.exit(main())
