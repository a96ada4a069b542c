import sys

from mtjhw.cli import main

sys.exit(main())
