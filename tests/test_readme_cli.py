"""The README's command-line reference says what ``ptdata <command> --help`` says.

Every command and option the README names exists; every option ``--help`` lists is in the
reference, under its own command.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ptdata.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
HELP = {"-h", "--help"}


def _commands(group: click.Group = main, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name))


COMMANDS = sorted(_commands())
GROUPS = {name for name, c in main.commands.items() if isinstance(c, click.Group)}


def _help_options(command: str) -> set[str]:
    """The options ``ptdata <command> --help`` lists (their declaration column only)."""
    result = CliRunner().invoke(main, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    options = result.output.split("\nOptions:\n", 1)[1]
    declared = set()
    for line in options.splitlines():
        m = re.match(r"  (-\S.*?)(?:  |$)", line)
        if m:
            declared.update(re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", m[1]))
    return declared - HELP


def _reference() -> dict[str, set[str]]:
    """The reference section: each listed command and the options listed with it."""
    section = README.split("\n## Command-line reference\n", 1)[1].split("\n## ", 1)[0]
    entries = {}
    for item in re.split(r"\n(?=- `ptdata )", "\n" + section)[1:]:
        usage = re.match(r"- `ptdata ([^`]+)`", item)
        assert usage, item
        command = " ".join(w for w in usage[1].split() if not w.isupper())
        entries[command] = set(re.findall(r"`(--?[a-zA-Z][\w-]*)`", item))
    return entries


def test_the_reference_lists_every_command_once():
    listed = re.findall(r"^- `ptdata ([^`]+)`", README, flags=re.M)
    commands = [" ".join(w for w in u.split() if not w.isupper()) for u in listed]
    assert sorted(commands) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_the_reference_lists_exactly_the_options_of_help(command):
    assert _reference()[command] == _help_options(command)


def test_every_command_line_in_the_readme_uses_options_its_command_has():
    lines = [
        line.split("#", 1)[0]
        for block in re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S)
        for line in block.splitlines()
        if line.startswith("ptdata ")
    ]
    assert lines
    for line in lines:
        words = line.split()[1:]
        command = " ".join(words[:2]) if words[0] in GROUPS else words[0]
        assert command in COMMANDS, line
        used = set(re.findall(r"(?<![\w-])--?[a-zA-Z][\w-]*", line))
        assert used <= _help_options(command) | HELP, (line, used - _help_options(command))


def test_every_command_and_option_the_readme_names_exists():
    every = set().union(*(_help_options(c) for c in COMMANDS)) | HELP
    spans = re.findall(r"`([^`]+)`", README)
    named = {w for s in spans for w in re.findall(r"(?<![\w-])--[a-zA-Z][\w-]*", s)}
    assert named <= every, named - every
    for s in spans:
        m = re.match(r"ptdata\s+([a-z]+)(?:\s+([a-z]+))?", s)
        if m:
            first, second = m.groups()
            assert first in main.commands, s
            if first in GROUPS:
                assert f"{first} {second}" in COMMANDS, s
