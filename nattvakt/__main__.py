from __future__ import annotations

import sys

from nattvakt.cli import main

sys.exit(main())
