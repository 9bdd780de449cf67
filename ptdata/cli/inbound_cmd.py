"""``ptdata listen`` (the webhook listener) and ``ptdata inbound summary`` (what came back)."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from pathlib import Path

import click

from ptdata._serving import DEFAULT_MAX_BODY, Limits

__all__ = ["COMMANDS", "inbound", "listen"]


class _ConfigError(click.ClickException):
    """Bad configuration (exit code 2, like a usage error)."""

    exit_code = 2


class _Stop(Exception):
    """SIGTERM: stop the listener the same way as Ctrl-C (registrations are deleted)."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise _Stop


@click.command("listen")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind; keep 127.0.0.1 and put a tunnel or proxy in front.",
)
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--secret",
    envvar="PTDATA_LISTENER_SECRET",
    default=None,
    metavar="S",
    help="The secret part of the URL (default: a new random one each start). "
    "Also read from PTDATA_LISTENER_SECRET.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The dump to append payloads to (JSON lines; created if missing).",
)
@click.option(
    "--register",
    "public_url",
    default=None,
    metavar="PUBLIC_URL",
    help="Register PUBLIC_URL/<secret>/sms and /mms with Power Textor now and "
    "delete both registrations on exit (needs POWERTEXTOR_API_KEY).",
)
@click.option(
    "--base-url",
    envvar="POWERTEXTOR_BASE_URL",
    default=None,
    metavar="URL",
    help="Power Textor address for --register (default: POWERTEXTOR_BASE_URL or the real service).",
)
@click.option(
    "--max-body",
    default=DEFAULT_MAX_BODY,
    show_default=True,
    type=click.IntRange(min=1),
    metavar="BYTES",
    help="Largest request body accepted; bigger ones get 413.",
)
@click.option(
    "--max-depth",
    default=Limits.max_depth,
    show_default=True,
    type=click.IntRange(1, 100),
    metavar="N",
    help="Deepest nesting of a JSON payload (a flat payload is 1); deeper gets 400.",
)
@click.option(
    "--max-fields",
    default=Limits.max_fields,
    show_default=True,
    type=click.IntRange(min=1),
    metavar="N",
    help="Most fields (keys and list items, all payloads together) in one request; more gets 400.",
)
@click.option(
    "--read-timeout",
    default=Limits.read_timeout,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Time a client has to send its request headers, and again its body; "
    "slower ones get 408 and are disconnected.",
)
def listen(
    host: str,
    port: int,
    secret: str | None,
    out: Path,
    public_url: str | None,
    base_url: str | None,
    max_body: int,
    max_depth: int,
    max_fields: int,
    read_timeout: float,
) -> None:
    """Receive inbound SMS/MMS webhooks and append each payload to a JSON-lines dump.

    \b
    Each payload is on disk (fsync) before Power Textor gets its 200. The URL contains a
    secret: anything else gets 404, and it is printed here only. Only what the loader reads
    back exactly is stored: text that is not valid Unicode, and payloads past the limits
    below, get 400. Load the dump with ptdata.load_inbound("DUMP.jsonl") or
    `ptdata inbound summary DUMP.jsonl`.
    \b
      ptdata listen --out inbound.jsonl --register https://my-tunnel.example.com
    """
    from ptdata._serving import bind_socket, socket_url
    from ptdata.inbound.listener import create_listener_app, new_secret, uvicorn_server

    secret = secret or new_secret()
    if "/" in secret or not secret.strip():
        raise click.UsageError("--secret must be non-empty and must not contain '/'")
    if public_url and not public_url.startswith(("http://", "https://")):
        raise click.UsageError("--register takes the public http(s):// address of this listener")
    echo = _Echo()
    with contextlib.ExitStack() as stack:
        client = _client(base_url) if public_url else None
        if client is not None:
            stack.callback(client.close)
        try:
            app = create_listener_app(
                out,
                secret,
                max_body=max_body,
                max_depth=max_depth,
                max_fields=max_fields,
                read_timeout=read_timeout,
            )
        except (RuntimeError, OSError) as exc:
            raise click.UsageError(f"cannot write the dump: {exc}") from None
        stack.callback(app.state.writer.close)
        try:
            sock = bind_socket(host, port)
        except OSError as exc:
            raise click.UsageError(
                f"cannot listen on {host}:{port} ({exc.strerror}); try another --port "
                "(0 picks a free one)"
            ) from None
        stack.callback(sock.close)
        local = f"{socket_url(sock)}/{secret}"
        echo(f"Listening on {socket_url(sock)}, appending payloads to {out}. Ctrl-C stops it.")
        if host not in ("127.0.0.1", "localhost", "::1"):
            echo(f"warning: bound to {host}: other machines can reach this listener", err=True)
        echo("Webhook URLs (private: they contain the secret):")
        echo(f"  SMS: {local}/sms")
        echo(f"  MMS: {local}/mms")
        registrations: list = []
        stack.callback(signal.signal, signal.SIGTERM, signal.signal(signal.SIGTERM, _on_sigterm))
        try:
            if client is not None and public_url is not None:
                _register(client, public_url.rstrip("/") + f"/{secret}", registrations, echo)
            uvicorn_server(app).run(sockets=[sock])
        except (KeyboardInterrupt, _Stop):
            pass
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish the clean-up undisturbed
            _unregister(client, registrations, echo)
        echo(f"Stopped. {app.state.writer.lines_written} payload(s) saved to {out}.")


class _Echo:
    """click.echo that flushes at once (a supervisor or test reads the URLs line by line)."""

    def __call__(self, text: str, err: bool = False) -> None:
        click.echo(text, err=err)
        with contextlib.suppress(Exception):
            (sys.stderr if err else sys.stdout).flush()


def _client(base_url: str | None):
    from ptdata.api.client import PowerTextor
    from ptdata.api.errors import UsageError

    try:
        return PowerTextor(base_url=base_url)
    except UsageError as exc:
        raise click.UsageError(f"--register: {exc}") from None


def _register(client, url: str, done: list, echo: _Echo) -> None:
    """Register the SMS and MMS webhooks; ``done`` collects them (deleted on exit, always)."""
    from ptdata.api.errors import PowerTextorError

    for kind in ("sms", "mms"):
        try:
            reg = client.register_webhook(f"{url}/{kind}", kind=kind)
        except PowerTextorError as exc:
            raise _ConfigError(f"could not register the {kind.upper()} webhook: {exc}") from None
        done.append(reg)
        echo(
            f"Registered the {kind.upper()} webhook with Power Textor "
            f"(registration {reg.registration_id or '(no id returned)'})."
        )


def _unregister(client, registrations, echo: _Echo) -> None:
    if client is None:
        return
    from ptdata.api.errors import PowerTextorError

    for reg in registrations:
        if not reg.registration_id:
            echo(
                f"warning: the {reg.kind.upper()} registration has no id; delete it in "
                "Power Textor yourself",
                err=True,
            )
            continue
        try:
            client.delete_webhook(reg)
            echo(f"Deleted the {reg.kind.upper()} webhook registration {reg.registration_id}.")
        except PowerTextorError as exc:
            echo(f"warning: could not delete registration {reg.registration_id}: {exc}", err=True)


@click.group("inbound")
def inbound() -> None:
    """Look at what came back: replies, opt-outs, volume and where senders are."""


@inbound.command("summary")
@click.argument("dumps", nargs=-1, required=True)
@click.option(
    "--sent",
    "sent",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="REPORT",
    help="The report of a send (CSV/XLSX/Parquet): adds reply and opt-out rates.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write the tables (CSV) and charts (PNG) into DIR.",
)
@click.option(
    "--tz",
    default="UTC",
    show_default=True,
    help="Time zone for the by-hour and by-weekday tables.",
)
@click.option(
    "--history",
    "audit",
    is_flag=True,
    help="Audit the send history against the opt-outs: texts sent after a STOP, and "
    "scheduled messages still due to people who opted out (exit 1 if any).",
)
@click.option(
    "--ledger",
    "ledger_path",
    metavar="PATH",
    type=click.Path(dir_okay=False),
    help="With --history: the send history (default: the one in your data folder).",
)
def summary(
    dumps: tuple[str, ...],
    sent: Path | None,
    out_dir: Path | None,
    tz: str,
    audit: bool,
    ledger_path: str | None,
) -> None:
    """Summarise inbound dumps: messages, senders, opt-outs, skipped lines; tables and charts.

    \b
    DUMPS are files, folders or globs (JSON lines, JSON, CSV, form-encoded; .gz too).
      ptdata inbound summary inbound.jsonl --sent report.csv --out inbound-summary/
    """
    from ptdata.inbound.summary import build_summary

    try:
        with _quiet_loader():
            text, files = build_summary(list(dumps), sent=sent, out_dir=out_dir, tz=tz)
    except (FileNotFoundError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(text)
    if out_dir is not None:
        click.echo(f"Wrote {len(files)} file(s) to {out_dir}: {', '.join(f.name for f in files)}")
    if audit:
        _audit(list(dumps), out_dir, ledger_path)


def _audit(dumps: list[str], out_dir: Path | None, ledger_path: str | None) -> None:
    """``--history``: the opt-out audit; exit 1 when it finds anything."""
    from ptdata.bulk.history import opt_out_audit
    from ptdata.inbound import load_inbound

    with _quiet_loader():
        problems = opt_out_audit(load_inbound(dumps), ledger=ledger_path)
    after = int((problems["problem"] == "sent_after_opt_out").sum())
    due = int((problems["problem"] == "scheduled_after_opt_out").sum())
    click.echo(
        f"Opt-out audit: {after:,} text{'s' if after != 1 else ''} sent after the "
        f"person opted out, {due:,} scheduled message{'s' if due != 1 else ''} still due "
        "to people who have opted out since"
    )
    if len(problems):
        click.echo(problems.head(20).to_string(index=False, na_rep=""))
        if due:
            click.echo(
                "Power Textor cannot cancel a scheduled message: ask its support to, "
                "or reply to these people yourself."
            )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        problems.to_csv(out_dir / "opt_out_audit.csv", index=False, encoding="utf-8-sig")
        click.echo(f"Wrote {out_dir / 'opt_out_audit.csv'}")
    if len(problems):
        sys.exit(1)


@contextlib.contextmanager
def _quiet_loader():
    """The summary prints what the loader skipped; keep its log line from repeating it."""
    log = logging.getLogger("ptdata.inbound")
    handler = logging.NullHandler()
    log.addHandler(handler)
    try:
        yield
    finally:
        log.removeHandler(handler)


COMMANDS = [listen, inbound]
