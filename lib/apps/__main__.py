"""`python -m lib.apps ...`: register and inspect apps (see `lib.apps.cli`)."""

import sys

from lib.apps.cli import main

sys.exit(main())
