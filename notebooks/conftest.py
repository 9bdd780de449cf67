"""The notebooks' kernels keep their send history in a temporary folder, never the user's."""

import os
import tempfile

os.environ.setdefault("PTDATA_HOME", tempfile.mkdtemp(prefix="ptdata-home-"))
