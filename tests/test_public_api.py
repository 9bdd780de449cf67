"""The public surface: one sorted __all__ that matches what the package exports."""

import ptdata


def test_all_is_sorted_and_unique():
    assert list(ptdata.__all__) == sorted(set(ptdata.__all__), key=str)


def test_every_name_in_all_is_importable():
    missing = [name for name in ptdata.__all__ if not hasattr(ptdata, name)]
    assert missing == []


def test_public_names_not_in_all_are_modules_only():
    import types

    public = {n for n in vars(ptdata) if not n.startswith("_")}
    stray = {
        n for n in public - set(ptdata.__all__)
        if not isinstance(getattr(ptdata, n), types.ModuleType) and n != "annotations"
    }
    assert stray == set()
