"""The version of ptdata, in one place (``pyproject.toml`` reads it from here too).

>>> from ptdata._version import __version__
>>> __version__.count(".") >= 1
True
"""

__version__ = "0.1.0"
