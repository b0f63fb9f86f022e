"""``python -m electroforge.cli``: the same as the ``electroforge`` command."""

import sys

from electroforge.cli.main import main

sys.exit(main())
