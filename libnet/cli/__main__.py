"""`python -m libnet.cli`: the same command as `libnet`."""

import sys

from libnet.cli import main

sys.exit(main())
