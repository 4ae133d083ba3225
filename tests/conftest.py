"""Test-wide settings.

Under CI (``CI=true``) hypothesis runs derandomised, so a CI result can be reproduced
exactly; on a developer's machine it explores new examples each run.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
