import sys

from tokenfleet import cli

sys.exit(cli.main())
