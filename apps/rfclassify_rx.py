#!/usr/bin/env python3
"""rfclassify_rx.py: the headless gr-rfclassify receiver (see --help).

Installed by CMake next to the package as ``gnuradio.rfclassify``; pip installs the same program
as ``rfclassify-rx``.
"""

import sys

try:
    from gnuradio.rfclassify.rx.app import main
except ImportError:
    from rfclassify.rx.app import main

if __name__ == "__main__":
    sys.exit(main())
