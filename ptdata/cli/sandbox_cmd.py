"""``ptdata sandbox``: run the local Power Textor-compatible server until Ctrl-C."""

from __future__ import annotations

import signal

import click

__all__ = ["COMMANDS", "sandbox"]


@click.command("sandbox")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind; keep 127.0.0.1 unless others must reach it.",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file to keep the state in (default: in memory).",
)
@click.option(
    "--api-key",
    envvar="PTDATA_SANDBOX_API_KEY",
    default=None,
    metavar="KEY",
    help="Accept only this ApiKey (default: any non-empty key). "
    "Also read from PTDATA_SANDBOX_API_KEY.",
)
@click.option(
    "--latency",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds added to every API response.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="N",
    help="Requests per second; beyond it, 429 with Retry-After.",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of send requests answered with a 5xx (after acting).",
)
@click.option(
    "--drop-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of send requests whose connection is dropped (after acting).",
)
@click.option(
    "--stall-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of send requests that stall (after acting).",
)
@click.option(
    "--stall-seconds",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="How long a stall lasts.",
)
@click.option("--seed", type=int, default=None, help="Seed for the random faults.")
@click.option("--access-log", is_flag=True, help="Print one line per request.")
def sandbox(
    host: str,
    port: int,
    db: str | None,
    api_key: str | None,
    latency: float,
    rate_limit: float | None,
    error_rate: float,
    drop_rate: float,
    stall_rate: float,
    stall_seconds: float,
    seed: int | None,
    access_log: bool,
) -> None:
    """Run a local Power Textor-compatible sandbox (every operation, SQLite state).

    \b
    Try ptdata without an account:
      ptdata sandbox --port 8765
      export POWERTEXTOR_BASE_URL=http://127.0.0.1:8765 POWERTEXTOR_API_KEY=test
    Requests it received: GET /_sandbox/requests; per-recipient messages: GET /_sandbox/messages.
    """
    import uvicorn

    from ptdata._serving import bind_socket, socket_url
    from ptdata.sandbox import Sandbox
    from ptdata.sandbox.server import uvicorn_config

    if error_rate + drop_rate + stall_rate > 1:
        raise click.UsageError("--error-rate + --drop-rate + --stall-rate must not exceed 1")
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise click.UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror}); is another sandbox running? "
            "Try --port 0 for a free port."
        ) from None
    sb = Sandbox(
        db=db,
        api_key=api_key,
        latency=latency,
        rate_limit=rate_limit,
        error_rate=error_rate,
        drop_rate=drop_rate,
        stall_rate=stall_rate,
        stall_seconds=stall_seconds,
        seed=seed,
    )
    url = socket_url(sock)
    key_hint = "<the key given with --api-key>" if api_key else "test   # any non-empty key works"
    click.echo(
        f"Power Textor sandbox listening on {url} (state: {db or 'in memory'}). Ctrl-C stops it."
    )
    click.echo(f"  export POWERTEXTOR_BASE_URL={url}")
    click.echo(f"  export POWERTEXTOR_API_KEY={key_hint}")
    click.echo(
        f"  requests it received: {url}/_sandbox/requests   messages: {url}/_sandbox/messages"
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: bound to {host}: other machines can reach this sandbox", err=True)
    if access_log:
        import logging

        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("uvicorn.access").addHandler(handler)
    server = uvicorn.Server(
        uvicorn_config(sb, access_log=access_log, log_level="info" if access_log else "warning")
    )
    # uvicorn shuts down gracefully on Ctrl-C/SIGTERM, then re-raises the signal: turn both
    # into KeyboardInterrupt so the command ends cleanly with exit code 0.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sb.close()
        sock.close()
    click.echo("sandbox stopped")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


COMMANDS = [sandbox]
