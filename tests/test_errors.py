"""Every error ptdata raises on purpose has one root, ``ptdata.PtdataError``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import ptdata

#: Exceptions raised and caught inside ptdata, never reaching a user, so outside the family:
#: the sandbox's own (a 400 to answer, a connection to drop) and what one HTTP exchange
#: reports to the client, which translates it.
INTERNAL = {
    "ptdata.sandbox.validate.BadRequest",
    "ptdata.sandbox.asgi.DroppedConnection",
    "ptdata.api.exchange.DeadlineExceeded",
    "ptdata.api.exchange.NoFreeConnection",
    "ptdata.api.exchange.ReplyTooLarge",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found = {}
    for info in pkgutil.walk_packages(ptdata.__path__, "ptdata."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def test_every_exception_class_ptdata_defines_derives_from_ptdata_error():
    classes = _exception_classes()
    assert "ptdata.sheets.errors.SheetError" in classes  # the walk found the packages
    outside = sorted(
        name
        for name, cls in classes.items()
        if not issubclass(cls, ptdata.PtdataError) and name not in INTERNAL
    )
    assert outside == []
    assert set(classes) >= INTERNAL  # an allow-list entry that no longer exists is dropped


def test_api_errors_sit_under_power_textor_error():
    api = [
        cls
        for name, cls in _exception_classes().items()
        if name.startswith("ptdata.api.") and name not in INTERNAL
    ]
    assert {cls.__name__ for cls in api} >= {"APIError", "TransportError", "UsageError"}
    assert [
        cls.__name__
        for cls in api
        if cls is not ptdata.PtdataError and not issubclass(cls, ptdata.PowerTextorError)
    ] == []


@pytest.mark.parametrize(
    "name",
    [
        "CampaignChangedError",
        "InvalidRowsError",
        "JobLockedError",
        "SheetError",
        "TemplateError",
        "MessageTooLong",
        "InboundLoadError",
        "UsageError",
        "RequestTimeoutError",
    ],
)
def test_the_errors_users_catch_are_exported_from_ptdata(name):
    assert issubclass(getattr(ptdata, name), ptdata.PtdataError)


def test_the_old_timeout_name_is_the_new_class():
    assert ptdata.TimeoutError_ is ptdata.RequestTimeoutError
    assert not issubclass(ptdata.RequestTimeoutError, TimeoutError)  # the builtin stays apart


@pytest.mark.parametrize(
    "name", ["SheetError", "TemplateError", "MessageTooLong", "InboundLoadError", "UsageError"]
)
def test_errors_that_were_value_errors_still_are(name):
    assert issubclass(getattr(ptdata, name), ValueError)


def test_the_tree_in_the_docstring_names_every_exported_error():
    doc = inspect.getdoc(importlib.import_module("ptdata.api.errors"))
    exported = [
        n
        for n in ptdata.__all__
        if inspect.isclass(getattr(ptdata, n))
        and issubclass(getattr(ptdata, n), BaseException)
        and n != "TimeoutError_"
    ]
    assert [n for n in exported if n not in doc] == []


def test_a_sheet_that_is_not_a_path_or_file_is_a_usage_error():
    with pytest.raises(ptdata.UsageError, match="read_sheet: expected a path, '-', or a file"):
        ptdata.read_sheet(123)


@pytest.mark.parametrize("rate", [0, -1.5])
def test_a_rate_that_is_not_positive_is_a_usage_error_before_anything_is_sent(
    local_client, local_sandbox, rate
):
    import pandas as pd

    p = ptdata.plan(pd.DataFrame({"Phone": ["+14155550101"]}, dtype="str"), body="Hi", quiet=None)
    with pytest.raises(ptdata.UsageError, match="rate must be a positive number"):
        ptdata.send(p, local_client, rate=rate, progress=False, ledger=None)
    assert local_sandbox.requests() == []
