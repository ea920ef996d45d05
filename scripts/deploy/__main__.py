import sys

from scripts.deploy.cli import main

sys.exit(main())
