"""Suite-wide settings.

Under CI (``CI`` set), Hypothesis draws the same examples on every run (``derandomize``), so that a
run's verdict depends on the code alone; local runs keep exploring new examples, and
``tests/fuzz_long.py --long`` runs the long fuzzing campaigns.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
