"""``import ptdata`` stays light: the widgets (and ipywidgets) load only when asked for."""

import subprocess
import sys


def test_import_ptdata_does_not_import_ipywidgets():
    code = "import sys, ptdata; print('ipywidgets' in sys.modules, 'ptdata.widgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_widgets_import_on_their_own():
    code = "import ptdata.widgets; print(ptdata.widgets.ComposeForm.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ComposeForm"
