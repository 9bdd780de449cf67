"""The ``ptdata`` command: a thin shell over the library, one module per command.

Exit codes: 0 success, 1 the job ran but some rows failed (or a check found problems),
2 usage errors (bad options, unreadable input, bad configuration).
"""

from __future__ import annotations

import click

from ptdata._version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ptdata")
def main() -> None:
    """Run Power Textor SMS/MMS campaigns from spreadsheets: validate, plan, send, report.

    Every command that talks to Power Textor reads the key from POWERTEXTOR_API_KEY and the
    address from POWERTEXTOR_BASE_URL (or --base-url); --sandbox runs against a local sandbox.
    """


#: One module per command (or command group); each defines ``COMMANDS``, a list of click commands.
_COMMAND_MODULES: tuple[str, ...] = (
    "contacts_cmd",
    "demo_cmd",
    "history_cmd",
    "inbound_cmd",
    "sandbox_cmd",
    "send_cmd",
    "validate_cmd",
)


def _register() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"ptdata.cli.{name}")
        for command in module.COMMANDS:
            main.add_command(command)


_register()
