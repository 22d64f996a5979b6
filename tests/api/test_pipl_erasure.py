"""PIPL erasure as a data-protection officer checks it: write marked words into every
field that holds words about a customer, over HTTP, erase the customer, then search
the raw bytes of every SQLite file under the data directory (write-ahead logs
included), every row of every PostgreSQL table (bytea too) and the log output for
the marks. Before the erasure they are nowhere in clear (only sealed); after it,
nowhere at all. A mark that is intentionally not personal (the campaign) is found
both times: the search can fail."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.cli import main
from api.settings import Settings
from application.store import PostgresUrl, StoreConfig
from domain.vocabulary import Role
from projections.signing import Signer
from tests.api.support import CS_A, CS_B, MANAGER, Api

OPS, CS = Role.OPERATIONS, CS_A
pytestmark = pytest.mark.shared_app


class Marks:
    """Distinct Latin and Chinese marks, one pair per field."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex[:10]
        self.personal: dict[str, str] = {}

    def words(self, field: str) -> str:
        latin = f"dpo{self.token}{field.replace('.', '')}lat"
        chinese = f"个人信息{self.token}{field}中文标记"
        self.personal[f"{field}/latin"] = latin
        self.personal[f"{field}/chinese"] = chinese
        return f"Said by the customer: {latin} / 客户说: {chinese}"

    def one(self, field: str, value: str) -> str:
        self.personal[field] = value
        return value


def forms(mark: str) -> list[bytes]:
    """How a mark can sit in bytes: UTF-8, and JSON's ASCII escapes of it."""
    escaped = json.dumps(mark)[1:-1].encode()
    return list({mark.encode(), escaped})


def sqlite_bytes(data_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(data_dir)): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()
    }


def postgres_rows(url: str) -> dict[str, str]:
    """Every row of every table of the database, as PostgreSQL's text of the row
    (bytea as hex)."""
    out: dict[str, str] = {}
    with psycopg.connect(PostgresUrl.parse(url).conninfo(), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND table_type = 'BASE TABLE'"
        ).fetchall()
        for schema, table in tables:
            rows = conn.execute(f'SELECT t::text FROM "{schema}"."{table}" AS t').fetchall()
            out[f"{schema}.{table}"] = "\n".join(row[0] for row in rows)
    return out


class Search:
    """Where each mark is found: a file, a table, the log, an HTTP answer."""

    def __init__(self, store: StoreConfig, log: list[str]) -> None:
        self.store = store
        self.log = log

    def places(self, answers: dict[str, str]) -> dict[str, bytes]:
        places = {f"file {k}": v for k, v in sqlite_bytes(self.store.data_dir).items()}
        if self.store.database_url:
            for table, text in postgres_rows(self.store.database_url).items():
                places[f"table {table}"] = text.encode()
        places["log"] = "\n".join(self.log).encode()
        places |= {f"answer {k}": v.encode() for k, v in answers.items()}
        return places

    def hits(self, marks: dict[str, str], answers: dict[str, str]) -> dict[str, list[str]]:
        places = self.places(answers)
        found: dict[str, list[str]] = {}
        for name, mark in marks.items():
            needles = forms(mark)
            needles += [n.hex().encode() for n in needles]  # bytea as PostgreSQL shows it
            where = [p for p, data in places.items() if any(n in data for n in needles)]
            if where:
                found[name] = where
        return found


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def settings(store_config: StoreConfig) -> Settings:
    """The server logs everything it would at DEBUG: the search covers it."""
    return Settings(
        database_url=store_config.database_url,
        data_dir=store_config.data_dir,
        pool_size=1,
        pool_timeout=15.0,  # two test processes share 2 cores
        log_level="DEBUG",
    )


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    capture = LogCapture()
    loggers = [logging.getLogger(), logging.getLogger("opsledger")]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        yield capture.lines
    finally:
        for logger in loggers:
            logger.removeHandler(capture)


@pytest.fixture
def audit_cli(store_config: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The command line on the store under test, with a signing key; the public key."""
    monkeypatch.setenv("OPSLEDGER_DATA_DIR", str(store_config.data_dir))
    monkeypatch.setenv("OPSLEDGER_POOL_SIZE", "1")
    if store_config.database_url:
        monkeypatch.setenv("OPSLEDGER_DATABASE_URL", store_config.database_url)
    else:
        monkeypatch.delenv("OPSLEDGER_DATABASE_URL", raising=False)
    key = tmp_path / "audit.key"
    assert main(["audit", "keygen", "--out", str(key)]) == 0
    monkeypatch.setenv("OPSLEDGER_AUDIT_KEY", str(key))
    return Signer.from_file(key).public_key


def write_everything(api: Api, marks: Marks, control: str) -> tuple[str, list[str], str]:
    """A customer with words in every field that takes words about them; their id,
    their complaints' ids and the complaints log's last position."""
    answer = api.ok(
        "/customers",
        {
            "name": marks.one("name", f"王{marks.token}芳"),
            "email": marks.one("email", f"wang{marks.token}@example.cn"),
            "phone": marks.one("phone", f"+86 139 {int(marks.token[:6], 16) % 10**8:08d}"),
            "channel": "campaign",
            "campaign": control,
        },
        who=Role.MARKETING,
    )
    c = answer["id"]
    api.ok(f"/customers/{c}/activate", who=OPS)
    api.ok(
        f"/customers/{c}/surveys",
        {"survey": "nps-2026", "nps": 3, "comment": marks.words("survey.comment")},
        who=CS,
        headers={"Idempotency-Key": f"survey-{marks.token}"},
    )
    api.ok(
        f"/customers/{c}/follow-ups",
        {"channel": "phone", "note": marks.words("follow_up.note")},
        who=OPS,
    )
    api.ok(f"/customers/{c}/at-risk", {"reason": marks.words("at_risk.reason")}, who=OPS)
    api.ok(f"/customers/{c}/reactivate", {"reason": marks.words("reactivate.reason")}, who=OPS)

    complaint = api.ok(
        "/complaints",
        {
            "customer_id": c,
            "channel": "email",
            "category": "privacy",
            "description": marks.words("complaint.description"),
            "remedy_sought": marks.words("complaint.remedy_sought"),
        },
        who=CS,
        headers={"Idempotency-Key": f"complaint-{marks.token}"},
    )["id"]
    on = f"/complaints/{complaint}"
    api.ok(f"{on}/acknowledge", {"message": marks.words("acknowledge.message")}, who=CS)
    api.ok(
        f"{on}/assess", {"severity": 3, "department": "customer_service", "assignee": CS}, who=CS
    )
    api.ok(f"{on}/reassess", {"severity": 4, "reason": marks.words("reassess.reason")}, who=CS)
    api.ok(f"{on}/wait-for-customer", {"reason": marks.words("wait.reason")}, who=CS)
    api.ok(f"{on}/resume", who=CS)

    def propose_and_respond(n: int) -> None:
        api.ok(
            f"{on}/propose-resolution",
            {
                "root_cause": "process_gap",
                "analysis": marks.words(f"propose{n}.analysis"),
                "plan": marks.words(f"propose{n}.plan"),
            },
            who=CS,
        )
        api.ok(f"{on}/respond", {"message": marks.words(f"respond{n}.message")}, who=CS)

    propose_and_respond(1)
    api.ok(
        f"{on}/customer-decision",
        {"accepted": False, "comment": marks.words("rejected.comment")},
        who=CS,
    )
    propose_and_respond(2)
    api.ok(f"{on}/final-decision", {"decision": marks.words("final.decision")}, who=MANAGER)
    api.ok(f"{on}/close", {"note": marks.words("close1.note")}, who=CS)
    api.ok(f"{on}/reopen", {"reason": marks.words("reopen.reason")}, who=CS)
    propose_and_respond(3)
    api.ok(
        f"{on}/customer-decision",
        {"accepted": True, "comment": marks.words("accepted.comment")},
        who=CS_B,
    )
    api.ok(f"{on}/close", {"note": marks.words("close2.note")}, who=CS)

    withdrawn = api.ok(
        "/complaints",
        {
            "customer_id": c,
            "channel": "phone",
            "category": "billing",
            "description": marks.words("withdrawn.description"),
        },
        who=CS,
    )["id"]
    withdraw = {"reason": marks.words("withdraw.reason")}
    last = api.ok(f"/complaints/{withdrawn}/withdraw", withdraw, who=CS)["position"]
    # The last words about them, before they are gone: on the customer.
    api.ok(f"/customers/{c}/churn", {"reason": marks.words("churn.reason")}, who=OPS)
    return c, [complaint, withdrawn], last


def reads(api: Api, customer: str, complaints: list[str], positions: list[str]) -> dict[str, str]:
    """Everything a client can read about them, as text: states, histories, lists,
    the audit trail, CSV exports (read models once they got to ``positions``)."""
    for position in positions:
        assert api.get("/audit/events", who=MANAGER, params={"min_position": position}).is_success
    wait = {"customers": positions[0], "complaints": positions[1], "audit": positions[0]}
    paths = [f"/customers/{customer}", f"/customers/{customer}/events"]
    for complaint in complaints:
        paths += [f"/complaints/{complaint}", f"/complaints/{complaint}/events"]
    out = {}
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, response.text
        out[path] = response.text
    lists = {
        "/customers": {"min_position": wait["customers"]},
        "/complaints": {"customer_id": customer, "min_position": wait["complaints"]},
        "/audit/events": {"limit": "500", "min_position": wait["audit"]},
    }
    for path, filters in lists.items():
        for fmt in ("json", "csv"):
            params = filters | ({"format": "csv"} if fmt == "csv" else {})
            response = api.get(path, who=MANAGER, params=params)
            assert response.status_code == 200, response.text
            out[f"{path} ({fmt})"] = response.text
    return out


def test_after_erasure_no_byte_of_the_customer_remains_readable_anywhere(
    api: Api, store_config: StoreConfig, log_lines: list[str], audit_cli: str, tmp_path: Path
) -> None:
    marks = Marks()
    control = f"campaign{marks.token}ctl"
    customer, complaints, in_complaints = write_everything(api, marks, control)
    search = Search(store_config, log_lines)

    # Before: the words are readable to those who may read them...
    complaint = api.state("complaints", complaints[0])
    assert marks.personal["complaint.description/chinese"] in complaint["description"]
    assert complaint["erased_fields"] == []
    # ...and stored nowhere in clear (sealed only); names sit in the customer list.
    position = api.ok(f"/customers/{customer}/consent", {"marketing": False}, who=OPS)["position"]
    answers = reads(api, customer, complaints, [position, in_complaints])
    free_text = {k: v for k, v in marks.personal.items() if "/" in k}
    hits = search.hits(free_text, {})
    assert hits == {}, f"free text stored in clear before erasure: {hits}"
    assert "answer /complaints/" + complaints[0] in {
        p for p in search.hits(free_text, answers).get("complaint.description/latin", [])
    }
    assert search.hits({"control": control}, {}).get("control"), "the search finds nothing"
    assert main(["audit", "checkpoint"]) == 0

    erased = api.ok(
        f"/customers/{customer}/erase", {"reason": marks.words("erase.reason")}, who=MANAGER
    )

    # After: reads show the words as erased, the audit chain and checkpoints hold...
    answers = reads(api, customer, complaints, [erased["position"], in_complaints])
    complaint = api.state("complaints", complaints[0])
    assert complaint["description"] is None and complaint["remedy_sought"] is None
    assert complaint["final_decision"] is None and complaint["proposal"]["plan"] is None
    assert set(complaint["erased_fields"]) == {
        "description",
        "remedy_sought",
        "proposal.analysis",
        "proposal.plan",
    }
    events = api.events("complaints", complaints[0])
    assert events[0]["payload"]["description"] == {"subject": customer, "erased": True}
    verify = api.get("/audit/verify", who=MANAGER)
    assert verify.status_code == 200 and verify.json()["status"] == "intact", verify.text
    assert main(["audit", "verify", "--public-key", audit_cli]) == 0
    store_config.data_dir.mkdir(parents=True, exist_ok=True)  # PostgreSQL: only the bundle
    bundle = store_config.data_dir / "audit-export.jsonl"
    assert main(["audit", "export", "--out", str(bundle)]) == 0
    assert main(["audit", "verify", str(bundle), "--public-key", audit_cli]) == 0

    # ...and not one byte of what was written about them is left readable anywhere.
    hits = search.hits(marks.personal, answers)
    assert hits == {}, f"personal data readable after erasure: {hits}"
    assert search.hits({"control": control}, answers).get("control"), "the search finds nothing"


def test_surveys_and_follow_ups_need_service_consent_offers_marketing_consent(api: Api) -> None:
    customer = api.register_customer(service_consent=False, marketing_consent=False)
    path = f"/customers/{customer}"
    api.ok(f"{path}/segment", {"segment": "vip"}, who=OPS)
    survey = {"survey": "q3", "csat": 2, "comment": "slow"}
    follow_up = {"channel": "phone", "note": "called back"}
    for sent, body in (("surveys", survey), ("follow-ups", follow_up)):
        problem = api.refused(
            "POST", f"{path}/{sent}", 409, "no-service-consent", who=CS, json=body
        )
        assert (
            problem["title"] == "Surveys and follow-up visits need the customer's service consent"
        )
    api.refused("POST", f"{path}/offers", 409, "no-marketing-consent", who=OPS, json={"offer": "c"})

    api.ok(f"{path}/consent", {"service": True}, who=CS)
    api.ok(f"{path}/surveys", survey, who=CS)
    api.ok(f"{path}/follow-ups", follow_up, who=CS)
    api.refused("POST", f"{path}/offers", 409, "no-marketing-consent", who=OPS, json={"offer": "c"})
    api.ok(f"{path}/consent", {"marketing": True}, who=OPS)
    api.ok(f"{path}/offers", {"offer": "c"}, who=OPS)
