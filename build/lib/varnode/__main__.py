import sys

from varnode.cli import main

sys.exit(main())
