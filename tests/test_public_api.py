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
        n
        for n in public - set(ptdata.__all__)
        if not isinstance(getattr(ptdata, n), types.ModuleType) and n != "annotations"
    }
    assert stray == set()


def test_the_stub_type_checkers_read_names_the_same_public_surface():
    import ast
    from pathlib import Path

    tree = ast.parse((Path(ptdata.__file__).parent / "__init__.pyi").read_text(encoding="utf-8"))
    imported = sorted(
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    )
    [listed] = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__all__"]
    ]
    assert imported == sorted(listed) == sorted(ptdata.__all__)
