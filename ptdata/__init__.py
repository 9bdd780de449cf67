"""ptdata: run Power Textor SMS/MMS campaigns from pandas, notebooks and CSV batch jobs.

The flow, each arrow a plain function a notebook cell can call on its own::

    read_sheet -> validate -> plan -> send -> report
    listen -> load_inbound -> opt_outs -> (suppression list back into plan)

>>> import ptdata
>>> client = ptdata.PowerTextor()          # key from POWERTEXTOR_API_KEY

Importing ptdata is quick: each public name (listed in ``__init__.pyi``, which type checkers
read) is imported from its module the first time it is used, so that ``ptdata --help``
loads neither pandas nor httpx.
"""

import lazy_loader

from ptdata._version import __version__ as __version__

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
