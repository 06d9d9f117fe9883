"""``python -m smallworld`` runs the command line."""

import sys

from smallworld.cli import main

sys.exit(main())
