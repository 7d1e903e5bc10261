"""``python -m tconvmat``: the same as the ``tconvmat`` command."""

import sys

from .cli import main

sys.exit(main())
