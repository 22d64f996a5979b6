"""A client generated from the running server's /openapi.json by openapi-python-client
takes the README's tour (errors included) and gets typed answers.

The generator runs locally as a subprocess (no network); any warning it gives
fails the test, since a warning means an endpoint or a model was left out.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from application.store import StoreConfig
from domain.vocabulary import Role
from tests.e2e.test_serve import STARTUP_SECONDS, create_token, environment, serve

pytestmark = pytest.mark.e2e

GENERATOR = str(Path(sys.executable).with_name("openapi-python-client"))
PACKAGE = "opsledger_tour_client"
GENERATOR_SECONDS = 300


def generate(spec: dict[str, Any], tmp_path: Path) -> Path:
    """The generated package's parent folder; fails on any generator warning."""
    spec_path = tmp_path / "openapi.json"
    spec_path.write_text(json.dumps(spec))
    config = tmp_path / "generator.json"
    config.write_text(json.dumps({"post_hooks": []}))  # no formatter needed
    parent = tmp_path / "generated"
    done = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(spec_path),
            "--output-path",
            str(parent / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=GENERATOR_SECONDS,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "unable to parse" not in output.lower(), output
    return parent


class Generated:
    """The generated package's modules, by the names the generator gives them."""

    def __init__(self) -> None:
        self.package = importlib.import_module(PACKAGE)

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.{name}")

    def model(self, name: str) -> Any:
        return getattr(self.module("models"), name)

    def op(self, tag: str, operation_id: str) -> ModuleType:
        return self.module(f"api.{tag}.{operation_id}")

    def client(self, url: str, token: str) -> Any:
        return self.package.AuthenticatedClient(base_url=url, token=token)


@pytest.fixture
def generated_on_path(tmp_path: Path) -> Iterator[Path]:
    """Makes the generated package importable for one test, and forgets it afterwards."""
    yield tmp_path
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    for entry in [p for p in sys.path if p.startswith(str(tmp_path))]:
        sys.path.remove(entry)


def test_a_generated_client_takes_the_tour(
    store_config: StoreConfig, generated_on_path: Path
) -> None:
    tmp_path = generated_on_path
    env = environment(store_config)
    with serve(env, tmp_path, ready_within=STARTUP_SECONDS) as server:
        spec = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
        sys.path.insert(0, str(generate(spec, tmp_path)))
        api = Generated()
        optional_bodies_are_omitted(api, spec)
        tokens = {
            "cs": create_token(env, "lin", Role.CUSTOMER_SERVICE),
            "cs2": create_token(env, "chen", Role.CUSTOMER_SERVICE),
            "mkt": create_token(env, "mei", Role.MARKETING),
        }
        clients = {who: api.client(server.url, token) for who, token in tokens.items()}
        try:
            take_the_tour(api, clients, server.url)
        finally:
            for client in clients.values():
                client.get_httpx_client().close()
        assert server.process.poll() is None, server.diagnostics()


def optional_bodies_are_omitted(api: Generated, spec: dict[str, Any]) -> None:
    """Every command whose body is optional builds a request without one when none is
    given (no JSON null, no unserialisable placeholder)."""
    optional = []
    for path, item in spec["paths"].items():
        for operation in item.values():
            body = operation.get("requestBody")
            if body is None or body.get("required"):
                continue
            names = [p["name"] for p in operation["parameters"] if p["in"] == "path"]
            module = api.op(operation["tags"][0], operation["operationId"])
            kwargs = module._get_kwargs(*[uuid.uuid4() if n != "cycle" else "2026" for n in names])
            assert "json" not in kwargs, (path, kwargs)
            optional.append(operation["operationId"])
    assert "close_complaint" in optional
    assert "approve_resolution" in optional
    assert len(optional) == 21, optional


def take_the_tour(api: Generated, clients: dict[str, Any], url: str) -> None:
    """README, "A short tour with curl", through the generated client."""
    m = api.model
    Problem, ValidationProblem, CommandOut = m("Problem"), m("ValidationProblem"), m("CommandOut")

    customer = api.op("customers", "register_customer").sync(
        client=clients["mkt"],
        body=m("CustomerRegisterRequest")(
            name="王芳", email="wang.fang@example.cn", channel=m("AcquisitionChannel")("search")
        ),
    )
    assert isinstance(customer, CommandOut), customer
    received = api.op("complaints", "receive_complaint").sync_detailed(
        client=clients["cs"],
        body=m("ComplaintReceiveRequest")(
            customer_id=customer.id,
            channel=m("ServiceChannel")("phone"),
            category=m("ComplaintCategory")("billing"),
            description="Charged twice for order 8812",
        ),
        idempotency_key="call-2291",
    )
    assert received.status_code == 201, received.content
    assert isinstance(received.parsed, CommandOut)
    complaint = received.parsed.id

    def command(name: str, who: str = "cs", **kwargs: Any) -> Any:
        return api.op("complaints", name).sync(complaint, client=clients[who], **kwargs)

    acknowledged = command(
        "acknowledge_complaint", body=m("ComplaintAcknowledgeRequest")(message="We are on it")
    )
    assert isinstance(acknowledged, CommandOut), acknowledged
    assessed = command(
        "assess_complaint",
        body=m("ComplaintAssessRequest")(
            severity=2, department=m("Department")("finance"), assignee="zhou"
        ),
    )
    assert isinstance(assessed, CommandOut), assessed
    assert assessed.version == 3

    not_responded = command("close_complaint")  # no body: it is optional
    assert isinstance(not_responded, Problem), not_responded
    assert (not_responded.type_, not_responded.status) == ("complaint-not-responded", 409)

    proposed = command(
        "propose_resolution",
        body=m("ComplaintProposeResolutionRequest")(
            root_cause=m("RootCause")("system_failure"),
            plan="Refund the duplicate",
            compensation="50.00",
        ),
    )
    assert isinstance(proposed, CommandOut), proposed
    own_proposal = command("approve_resolution")
    assert isinstance(own_proposal, Problem), own_proposal
    assert (own_proposal.type_, own_proposal.status) == ("four-eyes-violation", 403)

    stale = command("approve_resolution", who="cs2", if_match='"1"')
    assert isinstance(stale, Problem), stale
    assert (stale.type_, stale.status) == ("version-mismatch", 412)
    assert stale.additional_properties["current_version"] == proposed.version

    for name, who, kwargs in (
        ("approve_resolution", "cs2", {"if_match": f'"{proposed.version}"'}),
        ("respond_to_complaint", "cs", {"body": m("ComplaintRespondRequest")(message="Refunded")}),
        (
            "record_customer_decision",
            "cs",
            {"body": m("ComplaintCustomerDecisionRequest")(accepted=True)},
        ),
        (
            "close_complaint",
            "cs",
            {"body": m("ComplaintCloseRequest")(note="Customer confirmed the refund arrived")},
        ),
    ):
        answer = command(name, who, **kwargs)
        assert isinstance(answer, CommandOut), (name, answer)
    assert answer.version == 8

    get = api.op("complaints", "get_complaint")
    state = get.sync(complaint, client=clients["cs"])
    assert isinstance(state, m("ComplaintOut")), state
    assert state.status == "closed"

    history = api.op("complaints", "complaint_events").sync(complaint, client=clients["cs"])
    assert isinstance(history, m("EventsOut")), history
    assert [(e.version, e.type_, e.metadata["principal"]) for e in history.events] == [
        (1, "Received", "lin"),
        (2, "Acknowledged", "lin"),
        (3, "Assessed", "lin"),
        (4, "ResolutionProposed", "lin"),
        (5, "ResolutionApproved", "chen"),
        (6, "Responded", "lin"),
        (7, "CustomerAccepted", "lin"),
        (8, "Closed", "lin"),
    ]

    assessed_state = get.sync(complaint, client=clients["cs"], version=3)
    assert isinstance(assessed_state, m("ComplaintOut")), assessed_state
    assert assessed_state.version == 3
    assert assessed_state.status != "closed"

    both = get.sync(complaint, client=clients["cs"], version=3, as_of=state.received_at)
    assert isinstance(both, ValidationProblem), both
    assert both.status == 422
    assert [e.field for e in both.errors] == ["as_of"]

    stranger = get.sync(complaint, client=api.client(url, "olt_not-a-token"))
    assert isinstance(stranger, Problem), stranger
    assert (stranger.type_, stranger.status) == ("invalid-token", 401)
