"""The ``opsledger`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from api.settings import Settings
from api.tokens import TokenStore
from application.store import InvalidDatabaseUrl
from domain.vocabulary import Role


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings()
    store = settings.store()
    print(f"opsledger: store = {store.describe()}", file=sys.stderr)
    _prepare_store(settings)
    if args.demo:
        _load_demo(settings)
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level=settings.log_level.lower(),
    )
    return 0


def _prepare_store(settings: Settings) -> None:
    """Create the tables once, before any worker starts (workers racing to
    create them on a fresh PostgreSQL database could collide)."""
    from application.services import Services

    Services.open(settings.store()).close()
    TokenStore(settings.store()).close()


def _load_demo(settings: Settings) -> None:
    from api.demo import load_demo
    from application.services import Services

    services = Services.open(settings.store())
    try:
        summary = load_demo(services)
    finally:
        services.close()
    print(
        f"opsledger: demo company loaded ({summary.customers} customers, "
        f"{summary.complaints} complaints; {summary.events_written} new events)",
        file=sys.stderr,
    )
    tokens = TokenStore(settings.store())
    try:
        print("Demo tokens, one per role (earlier demo tokens are revoked):")
        for role in Role:
            token = tokens.issue(f"demo-{role.value}", [role], replace=True)
            print(f"  {role.value:<17} {token}")
    finally:
        tokens.close()
    sys.stdout.flush()


def _create_token(args: argparse.Namespace) -> int:
    tokens = TokenStore(Settings().store())
    try:
        print(tokens.issue(args.name, [Role(r) for r in args.role]))
    finally:
        tokens.close()
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="opsledger", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--demo", action="store_true", help="load the demo company first and print a token per role"
    )
    serve.set_defaults(run=_serve)

    token = commands.add_parser("token", help="manage bearer tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="make a token; prints only the token")
    create.add_argument("--name", required=True, help="the principal the token names")
    create.add_argument(
        "--role",
        required=True,
        action="append",
        choices=[r.value for r in Role],
        help="a role of the principal (repeat for more)",
    )
    create.set_defaults(run=_create_token)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (InvalidDatabaseUrl, OperationalError, InterfaceError, PoolTimeout) as error:
        print(f"opsledger: the store cannot be used: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
