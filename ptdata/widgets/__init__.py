"""The compose form for notebooks (ipywidgets): pick recipients, write, preview, send.

Imported on its own, so ``import ptdata`` never needs ipywidgets::

    import ptdata, ptdata.widgets
    form = ptdata.widgets.ComposeForm(ptdata.PowerTextor(), contacts=frame)
    form
"""

from ptdata.widgets.form import TIME_ZONES, ComposeForm
from ptdata.widgets.state import FormState, plan_arguments

__all__ = ["TIME_ZONES", "ComposeForm", "FormState", "plan_arguments"]
