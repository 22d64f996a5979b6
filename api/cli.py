"""The ``opsledger`` command line."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from api.logs import configure_logging
from api.settings import Settings
from api.tokens import TokenStore
from application.store import InvalidDatabaseUrl
from domain.vocabulary import Role
from projections.signing import BadKey

log = logging.getLogger("opsledger")

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from application.services import Services
    from projections.runner import ProjectionRunner


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    settings = Settings()
    store = settings.store()
    log.info("store: %s", store.describe())
    _prepare_store(settings)
    if args.demo:
        _load_demo(settings)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    shown = f"[{shown}]" if ":" in shown else shown
    # On stdout, beside the demo's tokens: stderr is the log, one JSON object a line.
    print(
        f"opsledger: console at http://{shown}:{args.port}/ui/ "
        f"(sign in with a token; API documentation at /docs)",
        flush=True,
    )
    config = uvicorn.Config(
        "api.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,  # RequestMiddleware writes the access lines, with more in them
        log_config=None,  # uvicorn's lines go through our handler: JSON like every other
        log_level=settings.log_level.lower(),
    )
    if args.workers <= 1:
        uvicorn.Server(config).run()
    else:
        Multiprocess(config, sockets=[_listen(args)]).run()
    return 0


def _listen(args: argparse.Namespace) -> socket.socket:
    """The workers' shared listening socket, made as a TCP socket proper.

    uvicorn makes it with protocol 0, and asyncio then leaves Nagle's algorithm on
    for the connections it accepts: every keep-alive answer waited ~40 ms for the
    client's delayed ACK. With IPPROTO_TCP asyncio sets TCP_NODELAY as usual.
    """
    family, kind, protocol, _, address = socket.getaddrinfo(
        args.host, args.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, protocol)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def _prepare_store(settings: Settings) -> None:
    """Create the tables once, before any worker starts (workers racing to
    create them on a fresh PostgreSQL database could collide)."""
    from application.services import Services
    from projections.catalog import all_projections
    from projections.runner import ProjectionRunner
    from projections.webhooks import open_outbox

    services = Services.open(settings.store())
    ProjectionRunner(services, settings.store(), all_projections(services)).close()
    open_outbox(settings.store()).close()
    services.close()
    TokenStore(settings.store()).close()


def _load_demo(settings: Settings) -> None:
    from application.services import Services
    from demo import load_budgets_demo, load_demo, load_employees_demo, load_risks_demo

    now = datetime.now(UTC)
    services = Services.open(settings.store())
    try:
        before = sum(app.recorder.max_notification_id() or 0 for app in services.all())
        summary = load_demo(services, now=now)
        budgets = load_budgets_demo(services, now=now)
        employees = load_employees_demo(services, now=now)
        risks = load_risks_demo(services, now=now)
        after = sum(app.recorder.max_notification_id() or 0 for app in services.all())
    finally:
        services.close()
    log.info(
        "demo company loaded: %s customers, %s complaints, %s budgets, %s employees, "
        "%s risks (%s new events)",
        summary.customers,
        summary.complaints,
        budgets,
        employees,
        risks,
        after - before,
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


DEFAULT_TOKEN_DAYS = 90
"""How long a token from ``token create`` works unless ``--expires`` says otherwise
(``--expires 0``: never expires). Demo tokens (``serve --demo``) never expire."""


def _token_store() -> TokenStore:
    """The token store of the configured store, named on stderr: ``./var`` is relative
    to where the command runs, and a token written elsewhere works nowhere."""
    store = Settings().store()
    print(f"opsledger: store = {store.describe()}", file=sys.stderr)
    return TokenStore(store)


def _create_token(args: argparse.Namespace) -> int:
    if args.expires < 0:
        print("opsledger: --expires takes a number of days, 0 for never", file=sys.stderr)
        return 2
    tokens = _token_store()
    try:
        roles = [Role(r) for r in args.role]
        expires_in = timedelta(days=args.expires) if args.expires else None
        print(tokens.issue(args.name, roles, employee_id=args.employee, expires_in=expires_in))
    finally:
        tokens.close()
    return 0


def _list_tokens(args: argparse.Namespace) -> int:
    tokens = _token_store()
    try:
        infos = tokens.infos()
    finally:
        tokens.close()
    now = datetime.now(UTC)
    rows = [("id", "name", "roles", "status", "created", "last used", "expires", "employee")]
    for info in infos:
        status = info.status(now)
        if status != "active" and not args.all:
            continue
        rows.append(
            (
                info.id,
                info.name,
                ",".join(info.roles),
                status,
                _when(info.created_at),
                _when(info.last_used_at),
                _when(info.expires_at) if info.expires_at else "never",
                info.employee_id or "-",
            )
        )
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return 0


def _when(text: str | None) -> str:
    """A stored moment to the minute, in UTC; ``-`` for none."""
    if not text:
        return "-"
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _revoke_token(args: argparse.Namespace) -> int:
    tokens = _token_store()
    try:
        revoked = tokens.revoke(args.token)
    finally:
        tokens.close()
    if not revoked:
        print(f"opsledger: no active token has the id or name {args.token!r}", file=sys.stderr)
        return 1
    print(f"opsledger: revoked {revoked} token(s)", file=sys.stderr)
    return 0


def _run_projections(args: argparse.Namespace) -> int:
    import signal
    import threading

    from api.logs import configure_logging
    from application.services import Services
    from projections.catalog import all_projections
    from projections.delivery import WebhookWorker
    from projections.runner import ProjectionRunner
    from projections.scheduler import DeadlineScheduler

    settings = Settings()
    configure_logging(settings.log_level)
    # One runner thread uses one connection at a time: a pool of one, and a spare.
    store = replace(settings.store("opsledger-projections"), pool_size=1, max_overflow=1)
    print(f"opsledger: store = {store.describe()}", file=sys.stderr)
    services = Services.open(store)
    runner = ProjectionRunner(
        services,
        store,
        all_projections(services),
        checkpointing=settings.checkpointing(),
        round_interval=settings.round_interval(),
    )
    webhooks = WebhookWorker(services, store, settings.webhooks(), lock_session=runner.lock_session)
    services.webhooks.allow_link_local = settings.webhook_allow_link_local
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    names = ", ".join(p.name for p in runner.projections)
    print(f"opsledger: running projections {names} and webhooks; Ctrl-C stops", file=sys.stderr)
    scheduler = DeadlineScheduler(
        services,
        runner.stores,
        interval=settings.scheduler_interval,
        ready=lambda: all(lag.events == 0 for lag in runner.lag().values()),
    )
    deadlines = threading.Thread(target=scheduler.run_forever, args=(stop,), daemon=True)
    deadlines.start()
    webhooks.start()
    try:
        runner.run_forever(stop)
    finally:
        stop.set()
        deadlines.join(timeout=10)
        webhooks.close()
        runner.close()
        services.close()
    return 0


def _audit_intact(runner: ProjectionRunner, services: Services) -> bool:
    """A rebuilt audit trail would chain the events as they are now: check them first,
    so that a rebuild never launders an alteration."""
    from projections.queries.read_models import ReadModels

    checks = ReadModels.of(runner).verify_audit(services.all())
    problems = [problem for check in checks for problem in check.problems]
    for problem in problems:
        print(
            f"opsledger: audit trail broken at {problem['log']}:{problem['position']} "
            f"({problem['kind']}): {problem['detail']}; not rebuilding it (--force to anyway)",
            file=sys.stderr,
        )
    return not problems


def _rebuild_projections(args: argparse.Namespace) -> int:
    from application.services import Services
    from projections.catalog import all_projections
    from projections.runner import ProjectionRunner

    store = Settings().store("opsledger-rebuild")
    print(f"opsledger: store = {store.describe()}", file=sys.stderr)
    services = Services.open(store)
    runner = ProjectionRunner(services, store, all_projections(services))
    try:
        known = [p.name for p in runner.projections]
        # Policies act rather than answer reads: all means every read model.
        models = [p.name for p in runner.projections if not getattr(p, "reacts", False)]
        names = [args.name] if args.name else models
        unknown = [n for n in names if n not in known]
        if unknown:
            print(
                f"opsledger: no projection {unknown[0]!r}; known: {', '.join(known)}",
                file=sys.stderr,
            )
            return 2
        for name in names:
            if name == "audit" and not args.force and not _audit_intact(runner, services):
                return 2
            count = runner.rebuild(name)
            print(f"opsledger: rebuilt {name} from {count} events", file=sys.stderr)
    finally:
        runner.close()
        services.close()
    return 0


def _audit_runner(settings: Settings) -> tuple[Services, ProjectionRunner]:
    """The services and a runner of the audit trail alone, caught up."""
    from application.services import Services
    from projections.audit import AuditTrail
    from projections.runner import ProjectionRunner

    store = settings.store()
    print(f"opsledger: store = {store.describe()}", file=sys.stderr)
    services = Services.open(store)
    apps = services.all()
    runner = ProjectionRunner(
        services, store, [AuditTrail([app.name for app in apps])], checkpointing=None
    )
    runner.signer = settings.signer()
    runner.catch_up()
    return services, runner


def _audit_keygen(args: argparse.Namespace) -> int:
    from projections.signing import Signer, generate_key_file

    if args.out.exists():
        print(f"opsledger: {args.out} exists; not overwriting a key", file=sys.stderr)
        return 2
    signer = Signer(generate_key_file(args.out))
    print(signer.public_key)
    print(f"opsledger: wrote {args.out}; fingerprint {signer.fingerprint}", file=sys.stderr)
    return 0


def _audit_checkpoint(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.audit_key is None:
        print("opsledger: set OPSLEDGER_AUDIT_KEY to the key file", file=sys.stderr)
        return 2
    services, runner = _audit_runner(settings)
    try:
        if not _audit_intact(runner, services):
            return 2
        for c in runner.checkpoint():
            print(f"{c.log}:{c.position} {c.chain_hash} {c.signed_at}")
    finally:
        runner.close()
        services.close()
    return 0


def _audit_export(args: argparse.Namespace) -> int:
    from projections.export import ExportRange, ExportRefused, export_bundle

    settings = Settings()
    signer = settings.signer()
    if signer is None:
        print("opsledger: set OPSLEDGER_AUDIT_KEY: the bundle is signed", file=sys.stderr)
        return 2
    services, runner = _audit_runner(settings)
    try:
        where = ExportRange(since=args.since, until=args.until, log=args.log)
        manifest = export_bundle(
            args.out, services.all(), runner.store("audit"), runner.checkpoints, signer, where
        )
    except ExportRefused as error:
        print(f"opsledger: not exporting: {error}", file=sys.stderr)
        return 2
    finally:
        runner.close()
        services.close()
    total = sum(manifest["events"].values())
    print(f"opsledger: wrote {args.out}: {total} events, {manifest['checkpoints']} checkpoints")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from projections.signing import parse_public_key

    try:
        key = parse_public_key(_key_text(args.public_key)) if args.public_key else None
    except (BadKey, OSError) as error:
        print(f"opsledger: {error}", file=sys.stderr)
        return 2
    if args.file is not None:
        if key is None:
            print("opsledger: a bundle is verified with --public-key KEY", file=sys.stderr)
            return 2
        return _verify_bundle(args.file, key)
    settings = Settings()
    services, runner = _audit_runner(settings)
    try:
        from projections.queries.read_models import ReadModels

        broken = False
        for result in ReadModels.of(runner).verify_audit(services.all(), key):
            for p in result.problems:
                broken = True
                print(f"{p['log']}:{p['position']} {p['kind']}: {p['detail']}")
            if not result.problems:
                print(f"{result.log}: intact ({result.verified} events)")
    finally:
        runner.close()
        services.close()
    return 1 if broken else 0


def _key_text(value: str) -> str:
    """A public key given as text, or as the path of a file holding it."""
    return value if value.startswith("ed25519:") else Path(value).read_text()


def _verify_bundle(path: Path, key: Ed25519PublicKey) -> int:
    from projections.bundle import verify_bundle

    try:
        report = verify_bundle(path, key)
    except OSError as error:
        print(f"opsledger: {error}", file=sys.stderr)
        return 2
    for p in report.problems:
        where = f" {p['log']}:{p['position']}" if "log" in p else ""
        print(f"line {p['line']}{where} {p['kind']}: {p['detail']}")
    events = sum(report.events.values())
    status = "intact" if report.intact else "ALTERED"
    print(f"{path}: {status} ({events} events, {report.checkpoints} checkpoints)")
    return 0 if report.intact else 1


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _audit_parser(commands: Any) -> None:
    audit = commands.add_parser("audit", help="sign, export and verify the audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    keygen = audit_commands.add_parser("keygen", help="make the Ed25519 signing key")
    keygen.add_argument("--out", type=Path, required=True, help="the private key file to write")
    keygen.set_defaults(run=_audit_keygen)
    checkpoint = audit_commands.add_parser("checkpoint", help="sign every log's chain head")
    checkpoint.set_defaults(run=_audit_checkpoint)
    export = audit_commands.add_parser("export", help="write a signed bundle of the trail")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--since", type=_moment, help="events at or after (ISO 8601)")
    export.add_argument("--until", type=_moment, help="events before (ISO 8601)")
    export.add_argument("--log", help="one log only")
    export.set_defaults(run=_audit_export)
    verify = audit_commands.add_parser(
        "verify", help="verify a bundle offline (FILE), or the live store (no FILE)"
    )
    verify.add_argument("file", type=Path, nargs="?", metavar="FILE")
    verify.add_argument(
        "--public-key", metavar="KEY", help="ed25519:<base64> as /audit/checkpoints shows it"
    )
    verify.set_defaults(run=_audit_verify)


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
    create.add_argument(
        "--employee",
        type=UUID,
        default=None,
        metavar="UUID",
        help="the employee the principal is: it then acts only as that employee",
    )
    create.add_argument(
        "--expires",
        type=int,
        default=DEFAULT_TOKEN_DAYS,
        metavar="DAYS",
        help=f"days until the token stops working (default {DEFAULT_TOKEN_DAYS}; 0: never)",
    )
    create.set_defaults(run=_create_token)
    listing = token_commands.add_parser(
        "list", help="the tokens: id, name, roles, created, last used, expiry (never the secret)"
    )
    listing.add_argument("--all", action="store_true", help="revoked and expired ones too")
    listing.set_defaults(run=_list_tokens)
    revoke = token_commands.add_parser(
        "revoke", help="stop a token (by id) or every token of a name, at once"
    )
    revoke.add_argument("token", metavar="NAME|ID", help="a token's id (token list) or a name")
    revoke.set_defaults(run=_revoke_token)

    projections = commands.add_parser("projections", help="run or rebuild the read models")
    projection_commands = projections.add_subparsers(dest="projections_command", required=True)
    run = projection_commands.add_parser("run", help="run the projection workers alone")
    run.set_defaults(run=_run_projections)
    rebuild = projection_commands.add_parser(
        "rebuild",
        help="rebuild read models from the event store beside the live ones, then switch",
    )
    rebuild.add_argument("name", nargs="?", help="one projection (default: all)")
    rebuild.add_argument(
        "--force", action="store_true", help="rebuild the audit trail even if it fails verification"
    )
    rebuild.set_defaults(run=_rebuild_projections)
    _audit_parser(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    settings.warn_unknown_variables()
    try:
        code: int = args.run(args)
    except (InvalidDatabaseUrl, OperationalError, InterfaceError, PoolTimeout) as error:
        print(f"opsledger: the store cannot be used: {error}", file=sys.stderr)
        return 2
    except BadKey as error:
        print(f"opsledger: the audit key cannot be used: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
