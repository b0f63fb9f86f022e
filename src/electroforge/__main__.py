"""``python -m electroforge`` runs the command line."""

import sys

from electroforge.cli import main

sys.exit(main())
