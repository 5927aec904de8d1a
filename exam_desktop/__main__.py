import sys

from exam_desktop.cli import main

sys.exit(main())
