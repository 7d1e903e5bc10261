"""``python -m tconvmat.explorer [--port N] [--host H] [--open]``: the same as ``tconvmat serve``."""

import sys

from ..cli.serve import main

sys.exit(main(["serve", *sys.argv[1:]]))
