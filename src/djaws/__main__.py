"""``python -m djaws``."""

import sys

from djaws.cli import main

sys.exit(main())
