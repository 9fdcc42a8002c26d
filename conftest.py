"""Repository-wide test settings."""

import os

from hypothesis import settings

# CI runs the same examples every time, so a landing never hinges on a lucky draw; locally
# hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
