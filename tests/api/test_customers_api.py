"""/customers over HTTP: creation, commands, reads, guards and refusals (docs/api.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.vocabulary import Role
from tests.api.support import (
    SAMPLE_BODIES,
    Api,
    assert_position,
    assert_problem,
    sample_body,
    some_id,
)

# The tests make aggregates of their own: one store and app for the module.
pytestmark = pytest.mark.shared_app

REGISTRATION = SAMPLE_BODIES["/customers"]

# Who may send which customer command (docs/domain.md §2 roles and §3.2 customer).
COMMAND_ROLES: dict[str, set[Role]] = {
    "/customers": {Role.MARKETING},
    "/customers/{id}/activate": {Role.OPERATIONS},
    "/customers/{id}/purchases": {Role.SALES},
    "/customers/{id}/membership": {Role.SALES},
    "/customers/{id}/segment": {Role.OPERATIONS},
    "/customers/{id}/offers": {Role.OPERATIONS},
    "/customers/{id}/consent": {Role.MARKETING, Role.OPERATIONS, Role.CUSTOMER_SERVICE},
    "/customers/{id}/surveys": {Role.CUSTOMER_SERVICE},
    "/customers/{id}/follow-ups": {Role.OPERATIONS, Role.CUSTOMER_SERVICE},
    "/customers/{id}/at-risk": {Role.OPERATIONS},
    "/customers/{id}/churn": {Role.OPERATIONS},
    "/customers/{id}/reactivate": {Role.OPERATIONS},
    "/customers/{id}/erase": {Role.CUSTOMER_SERVICE, Role.MANAGEMENT},
}
REASON = {"reason": "see the ticket"}


# --- Creation ----------------------------------------------------------------------


def test_registration_answers_201_with_location_etag_and_position(api: Api) -> None:
    response = api.post("/customers", REGISTRATION, who=Role.MARKETING)
    assert response.status_code == 201
    answer = response.json()
    customer_id = answer["id"]
    assert response.headers["location"].endswith(f"/customers/{customer_id}")
    assert response.headers["etag"] == f'"{answer["version"]}"'
    # Registration records the registration and the welcome message (docs/domain.md §3.2).
    events = api.events("customers", customer_id)
    assert [e["type"] for e in events] == ["Registered", "WelcomeSent"]
    assert answer["version"] == len(events)
    assert assert_position(answer, "customers") == api.positions()["customers"]

    followed = api.client.get(response.headers["location"], headers=api.headers(Role.AUDITOR))
    assert followed.status_code == 200
    state = followed.json()
    assert followed.headers["etag"] == response.headers["etag"]
    assert state["id"] == customer_id
    assert state["version"] == answer["version"]
    assert state["status"] == "registered"
    assert state["name"] == REGISTRATION["name"]
    assert state["email"] == REGISTRATION["email"]
    assert state["channel"] == "search"
    assert state["welcome_sent"] is True


def test_positions_grow_with_every_command(api: Api) -> None:
    first = api.ok("/customers", REGISTRATION, who=Role.MARKETING)
    second = api.ok("/customers", REGISTRATION, who=Role.MARKETING)
    assert first["id"] != second["id"]
    activated = api.ok(f"/customers/{first['id']}/activate", who=Role.OPERATIONS)
    positions = [assert_position(a, "customers") for a in (first, second, activated)]
    assert positions == sorted(set(positions))
    assert activated["version"] == first["version"] + 1


# --- The lifecycle over HTTP ------------------------------------------------------------


def test_a_customer_lifecycle_over_http(api: Api) -> None:
    customer_id = api.register_customer(marketing_consent=False, campaign="spring-2024")
    path = f"/customers/{customer_id}"
    steps: list[tuple[str, dict[str, Any], Role, str]] = [
        ("/activate", {}, Role.OPERATIONS, "activated"),
        ("/purchases", {"amount": "120.00", "order_ref": "A-1"}, Role.SALES, "converted"),
        ("/purchases", {"amount": "80.50", "order_ref": "A-2"}, Role.SALES, "loyal"),
        ("/membership", {"tier": "silver"}, Role.SALES, "loyal"),
        ("/segment", {"segment": "champions"}, Role.OPERATIONS, "loyal"),
        ("/consent", {"marketing": True}, Role.MARKETING, "loyal"),
        ("/offers", {"offer": "double points week"}, Role.OPERATIONS, "loyal"),
        ("/surveys", {"survey": "csat-q2", "csat": 5, "nps": 10}, Role.CUSTOMER_SERVICE, "loyal"),
        ("/follow-ups", {"channel": "phone", "note": "happy"}, Role.CUSTOMER_SERVICE, "loyal"),
        ("/at-risk", {"reason": "no visit in 90 days"}, Role.OPERATIONS, "at_risk"),
        ("/churn", {"reason": "closed the account"}, Role.OPERATIONS, "churned"),
        ("/reactivate", {"reason": "came back"}, Role.OPERATIONS, "reactivated"),
    ]
    version = api.state("customers", customer_id)["version"]
    for command, body, who, status in steps:
        response = api.post(path + command, body, who=who)
        assert response.status_code == 200, (command, response.text)
        answer = response.json()
        assert answer["id"] == customer_id
        assert answer["version"] == version + 1, command
        assert response.headers["etag"] == f'"{answer["version"]}"'
        assert assert_position(answer, "customers") == api.positions()["customers"]
        version = answer["version"]
        assert api.state("customers", customer_id)["status"] == status, command

    state = api.state("customers", customer_id)
    assert state["purchases"] == 2
    assert state["revenue"] in ("200.50", 200.5)
    assert state["tier"] == "silver"
    assert state["segment"] == "champions"
    assert state["marketing_consent"] is True
    assert state["offers"] == 1
    assert state["follow_ups"] == 1
    assert state["campaign"] == "spring-2024"


def test_events_list_metadata_of_every_command(api: Api) -> None:
    customer_id = api.register_customer()
    api.ok(
        f"/customers/{customer_id}/activate",
        who=Role.OPERATIONS,
        headers={"X-Request-ID": "activate-1"},
    )
    api.ok(
        f"/customers/{customer_id}/purchases",
        {"amount": "10.00", "order_ref": "X-1"},
        who=Role.SALES,
        headers={"X-Request-ID": "purchase-1"},
    )
    events = api.events("customers", customer_id)
    assert [e["type"] for e in events] == [
        "Registered",
        "WelcomeSent",
        "Activated",
        "PurchaseRecorded",
    ]
    expected = [
        ("mkt-ma", ["marketing"], "register_customer"),
        ("mkt-ma", ["marketing"], "register_customer"),
        ("ops-ou", ["operations"], "activate_customer"),
        ("sales-su", ["sales"], "record_purchase"),
    ]
    for event, (principal, roles, command) in zip(events, expected, strict=True):
        meta = event["metadata"]
        assert meta["principal"] == principal
        assert meta["roles"] == roles
        assert meta["command"] == command
        assert meta["request_id"]
        assert datetime.fromisoformat(event["timestamp"]).utcoffset() == timedelta(0)
    assert events[2]["metadata"]["request_id"] == "activate-1"
    assert events[3]["metadata"]["request_id"] == "purchase-1"
    assert events[3]["payload"]["amount"] == "10.00"
    assert events[3]["payload"]["order_ref"] == "X-1"


# --- Reads: current, ?version, ?as_of ------------------------------------------------


def test_reads_as_of_a_version(api: Api) -> None:
    customer_id = api.register_customer()
    api.ok(f"/customers/{customer_id}/activate", who=Role.OPERATIONS)
    current = api.state("customers", customer_id)
    assert current["status"] == "activated"
    first = api.state("customers", customer_id, version=1)
    assert first["version"] == 1
    assert first["welcome_sent"] is False
    assert first["status"] == "registered"
    before = api.state("customers", customer_id, version=current["version"] - 1)
    assert before["status"] == "registered"
    assert before["welcome_sent"] is True


def test_reads_as_of_a_moment(api: Api) -> None:
    customer_id = api.register_customer()
    api.ok(f"/customers/{customer_id}/activate", who=Role.OPERATIONS)
    events = api.events("customers", customer_id)
    # At the moment of an event, that event counts; just before it, it does not.
    at_welcome = api.state("customers", customer_id, as_of=events[1]["timestamp"])
    assert at_welcome["version"] == 2
    assert at_welcome["status"] == "registered"
    moment = datetime.fromisoformat(events[2]["timestamp"])
    just_before = moment - timedelta(microseconds=1)
    assert api.state("customers", customer_id, as_of=just_before.isoformat())["version"] == 2
    assert api.state("customers", customer_id, as_of=moment.isoformat())["version"] == 3
    # Other offsets and naive times (taken as UTC) name the same moment.
    in_china = moment.astimezone(UTC).astimezone(datetime.now().astimezone().tzinfo)
    assert api.state("customers", customer_id, as_of=in_china.isoformat())["version"] == 3
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    assert api.state("customers", customer_id, as_of=naive.isoformat())["version"] == 3
    future = datetime.now(UTC) + timedelta(days=365)
    assert api.state("customers", customer_id, as_of=future.isoformat())["version"] == 3


def test_as_of_before_creation_is_404(api: Api) -> None:
    customer_id = api.register_customer()
    response = api.get(f"/customers/{customer_id}", params={"as_of": "2000-01-01T00:00:00Z"})
    assert_problem(response, 404, "not-found")


def test_a_version_not_reached_is_404(api: Api) -> None:
    customer_id = api.register_customer()
    for version in ("3", "99", str(2**31), str(2**63 - 1)):
        response = api.get(f"/customers/{customer_id}", params={"version": version})
        assert_problem(response, 404, "not-found")


def test_a_version_beyond_64_bits_is_a_problem_not_a_500(api: Api) -> None:
    """Beyond what the store's integers hold (SQLite answered 500 here once)."""
    customer_id = api.register_customer()
    for version in (str(2**63), str(10**30)):
        response = api.get(f"/customers/{customer_id}", params={"version": version})
        assert response.status_code in (404, 422), response.text
        assert_problem(response, response.status_code)


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"], ids=["min", "max"]
)
def test_as_of_at_the_edge_of_time_is_a_problem_not_a_500(api: Api, as_of: str) -> None:
    """Valid ISO 8601 times whose UTC conversion overflows datetime (a 500 once)."""
    customer_id = api.register_customer()
    response = api.get(f"/customers/{customer_id}", params={"as_of": as_of})
    assert response.status_code in (200, 404, 422), response.text
    assert response.status_code == 200 or response.headers["content-type"].startswith(
        "application/problem+json"
    )


INVALID_READS: list[tuple[dict[str, str], str]] = [
    ({"version": "0"}, "version"),
    ({"version": "-1"}, "version"),
    ({"version": "two"}, "version"),
    ({"version": "1.5"}, "version"),
    ({"as_of": "yesterday"}, "as_of"),
    ({"as_of": "2024-13-01T00:00:00Z"}, "as_of"),
    ({"version": "1", "as_of": "2024-01-01T00:00:00Z"}, "as_of"),
]


def test_invalid_read_parameters_are_422(api: Api, subtests: pytest.Subtests) -> None:
    customer_id = api.register_customer()
    for params, field in INVALID_READS:
        with subtests.test(params=params):
            response = api.get(f"/customers/{customer_id}", params=params)
            assert_problem(response, 422, "invalid-request", fields=(field,))


# --- Not found -----------------------------------------------------------------------


def test_unknown_customer_ids_are_404(api: Api) -> None:
    unknown = some_id()
    assert_problem(api.get(f"/customers/{unknown}"), 404, "not-found")
    assert_problem(api.get(f"/customers/{unknown}/events"), 404, "not-found")
    assert_problem(api.get(f"/customers/{unknown}", params={"version": "1"}), 404, "not-found")
    for template, roles in COMMAND_ROLES.items():
        if "{id}" in template:
            api.refused(
                "POST",
                template.replace("{id}", unknown),
                404,
                "not-found",
                who=next(iter(roles)),
                json=sample_body(template),
            )


def test_a_complaint_id_is_not_a_customer(api: Api) -> None:
    complaint_id = api.receive_complaint()
    assert_problem(api.get(f"/customers/{complaint_id}"), 404, "not-found")
    assert_problem(api.get(f"/customers/{complaint_id}/events"), 404, "not-found")
    api.refused("POST", f"/customers/{complaint_id}/activate", 404, who=Role.OPERATIONS, json={})


def test_non_uuid_ids_are_422(api: Api) -> None:
    for path in ("/customers/42", "/customers/not-a-uuid/events", "/customers/1234-5678"):
        problem = assert_problem(api.get(path), 422, "invalid-request")
        assert any(e["location"] == "path" and e["field"] for e in problem["errors"]), problem
    api.refused("POST", "/customers/not-a-uuid/activate", 422, who=Role.OPERATIONS, json={})


# --- Roles ---------------------------------------------------------------------------


def test_only_the_policy_roles_may_command(api: Api, subtests: pytest.Subtests) -> None:
    customer_id = api.register_customer()
    for template, allowed in sorted(COMMAND_ROLES.items()):
        path = template.replace("{id}", customer_id)
        for role in sorted(set(Role) - allowed):
            with subtests.test(template, role=role.value):
                problem = api.refused(
                    "POST", path, 403, "role-not-allowed", who=role, json=sample_body(template)
                )
                assert set(problem["required_roles"]) == {r.value for r in allowed}, problem


def test_reads_are_open_to_every_role(api: Api) -> None:
    customer_id = api.register_customer()
    for role in Role:
        assert api.get(f"/customers/{customer_id}", who=role).status_code == 200
        assert api.get(f"/customers/{customer_id}/events", who=role).status_code == 200


# --- If-Match --------------------------------------------------------------------------


def test_if_match_guards_against_lost_updates(api: Api) -> None:
    customer_id = api.register_customer()
    etag = api.get(f"/customers/{customer_id}").headers["etag"]
    path = f"/customers/{customer_id}"
    answer = api.ok(f"{path}/activate", who=Role.OPERATIONS, headers={"If-Match": etag})
    new_etag = f'"{answer["version"]}"'
    assert new_etag != etag

    problem = api.refused(
        "POST",
        f"{path}/segment",
        412,
        "version-mismatch",
        who=Role.OPERATIONS,
        json={"segment": "new"},
        headers={"If-Match": etag},
    )
    assert problem["current_version"] == answer["version"]
    stale = api.post(
        f"{path}/segment", {"segment": "new"}, who=Role.OPERATIONS, headers={"If-Match": etag}
    )
    assert stale.headers["etag"] == new_etag

    for if_match in (f"W/{new_etag}", "*"):
        answer = api.ok(
            f"{path}/follow-ups",
            {"channel": "email", "note": "checked in"},
            who=Role.OPERATIONS,
            headers={"If-Match": if_match},
        )
        new_etag = f'"{answer["version"]}"'


def test_a_malformed_if_match_is_400(api: Api) -> None:
    customer_id = api.register_customer()
    for if_match in ('"abc"', "version 3", '"1", "2"', '""'):
        api.refused(
            "POST",
            f"/customers/{customer_id}/activate",
            400,
            "malformed-if-match",
            who=Role.OPERATIONS,
            json={},
            headers={"If-Match": if_match},
        )


# --- Idempotency-Key -----------------------------------------------------------------


def test_the_same_key_and_body_answers_the_first_answer_and_writes_nothing(api: Api) -> None:
    headers = {"Idempotency-Key": "register-zhang-wei"}
    first = api.post("/customers", REGISTRATION, who=Role.MARKETING, headers=headers)
    assert first.status_code == 201
    with api.no_new_events():
        again = api.post("/customers", REGISTRATION, who=Role.MARKETING, headers=headers)
        # The same JSON, keys reordered and spaced differently, is the same request.
        reordered = api.post(
            "/customers",
            who=Role.MARKETING,
            content=b'{ "channel" : "search",  "email": "zhang.wei@example.cn",'
            b'"name": "Zhang Wei" }',
            headers={**headers, "Content-Type": "application/json"},
        )
    for repeat in (again, reordered):
        assert repeat.status_code == 201
        assert repeat.json() == first.json()
        assert repeat.headers["etag"] == first.headers["etag"]
        assert repeat.headers["location"] == first.headers["location"]


def test_a_replay_answers_the_first_answer_even_after_later_changes(api: Api) -> None:
    customer_id = api.register_customer()
    path = f"/customers/{customer_id}/purchases"
    body = {"amount": "15.00", "order_ref": "R-1"}
    headers = {"Idempotency-Key": "purchase-R-1"}
    first = api.ok(path, body, who=Role.SALES, headers=headers)
    api.ok(f"/customers/{customer_id}/activate", who=Role.OPERATIONS)
    with api.no_new_events():
        again = api.post(path, body, who=Role.SALES, headers=headers)
    assert again.status_code == 200
    assert again.json() == first
    assert api.state("customers", customer_id)["purchases"] == 1


def test_the_same_key_with_another_body_is_422(api: Api) -> None:
    customer_id = api.register_customer()
    path = f"/customers/{customer_id}/purchases"
    headers = {"Idempotency-Key": "purchase-1"}
    api.ok(path, {"amount": "15.00", "order_ref": "K-1"}, who=Role.SALES, headers=headers)
    api.refused(
        "POST",
        path,
        422,
        "idempotency-key-reused",
        who=Role.SALES,
        json={"amount": "16.00", "order_ref": "K-1"},
        headers=headers,
    )
    # Another path with the same body is another request too.
    other = api.register_customer()
    api.refused(
        "POST",
        f"/customers/{other}/purchases",
        422,
        "idempotency-key-reused",
        who=Role.SALES,
        json={"amount": "15.00", "order_ref": "K-1"},
        headers=headers,
    )


def test_keys_belong_to_their_principal(api: Api) -> None:
    headers = {"Idempotency-Key": "my-key"}
    second = api.tokens.issue("mkt-second", Role.MARKETING)
    first = api.ok("/customers", REGISTRATION, who=Role.MARKETING, headers=headers)
    response = api.client.post(
        "/customers",
        json=REGISTRATION,
        headers={"Authorization": f"Bearer {second}", **headers},
    )
    assert response.status_code == 201
    assert response.json()["id"] != first["id"]


def test_a_key_reused_in_another_collection_is_422(api: Api) -> None:
    """Each Application keeps its own idempotency table: a key the principal used
    on /customers must still be refused on /complaints with another request."""
    customer_id = api.register_customer()
    headers = {"Idempotency-Key": "shared-key"}
    api.ok(
        f"/customers/{customer_id}/surveys",
        {"survey": "s-1", "csat": 4},
        who=Role.CUSTOMER_SERVICE,
        headers=headers,
    )
    api.refused(
        "POST",
        "/complaints",
        422,
        "idempotency-key-reused",
        who=Role.CUSTOMER_SERVICE,
        json=sample_body("/complaints", customer_id),
        headers=headers,
    )


def test_a_malformed_idempotency_key_is_400(api: Api) -> None:
    for key in ("", "   ", "k" * 256):
        api.refused(
            "POST",
            "/customers",
            400,
            "malformed-idempotency-key",
            who=Role.MARKETING,
            json=REGISTRATION,
            headers={"Idempotency-Key": key},
        )


def test_a_refused_command_remembers_nothing_under_its_key(api: Api) -> None:
    customer_id = api.register_customer()
    path = f"/customers/{customer_id}/purchases"
    headers = {"Idempotency-Key": "retry-me"}
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    body = {"amount": "15.00", "order_ref": "F-1", "purchased_at": future}
    api.refused("POST", path, 422, "date-in-future", who=Role.SALES, json=body, headers=headers)
    api.ok(path, {**body, "purchased_at": None}, who=Role.SALES, headers={"Idempotency-Key": "x"})


# --- Business rule refusals (409) and invalid input (422) -------------------------------


def test_business_rules_refuse_with_409(api: Api) -> None:
    customer_id = api.register_customer()
    path = f"/customers/{customer_id}"
    api.ok(f"{path}/activate", who=Role.OPERATIONS)
    api.refused(
        "POST", f"{path}/activate", 409, "customer-already-activated", who=Role.OPERATIONS, json={}
    )
    api.ok(f"{path}/purchases", {"amount": "9.90", "order_ref": "D-1"}, who=Role.SALES)
    api.refused(
        "POST",
        f"{path}/purchases",
        409,
        "duplicate-order-ref",
        who=Role.SALES,
        json={"amount": "19.90", "order_ref": "D-1"},
        fields=("order_ref",),
    )
    api.ok(f"{path}/membership", {"tier": "gold"}, who=Role.SALES)
    api.refused(
        "POST",
        f"{path}/membership",
        409,
        "membership-not-upward",
        who=Role.SALES,
        json={"tier": "silver"},
    )
    api.refused(
        "POST",
        f"{path}/offers",
        409,
        "customer-not-segmented",
        who=Role.OPERATIONS,
        json={"offer": "coupon"},
    )
    api.ok(f"{path}/segment", {"segment": "vip"}, who=Role.OPERATIONS)
    api.refused(
        "POST",
        f"{path}/offers",
        409,
        "no-marketing-consent",
        who=Role.OPERATIONS,
        json={"offer": "coupon"},
    )
    api.ok(f"{path}/surveys", {"survey": "q2", "nps": 3}, who=Role.CUSTOMER_SERVICE)
    api.refused(
        "POST",
        f"{path}/surveys",
        409,
        "survey-already-answered",
        who=Role.CUSTOMER_SERVICE,
        json={"survey": "q2", "nps": 9},
    )
    api.refused(
        "POST", f"{path}/reactivate", 409, "customer-not-lapsed", who=Role.OPERATIONS, json=REASON
    )
    api.ok(f"{path}/churn", REASON, who=Role.OPERATIONS)
    api.refused(
        "POST", f"{path}/churn", 409, "customer-already-churned", who=Role.OPERATIONS, json=REASON
    )
    api.refused(
        "POST",
        f"{path}/purchases",
        409,
        "customer-churned",
        who=Role.SALES,
        json={"amount": "1.00", "order_ref": "D-2"},
    )


INVALID_REGISTRATIONS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"name": "Wu", "channel": "search"}, ("email", "phone")),
    ({**REGISTRATION, "name": 42}, ("name",)),
    ({**REGISTRATION, "name": ""}, ("name",)),
    ({**REGISTRATION, "name": "x" * 201}, ("name",)),
    ({**REGISTRATION, "email": "not-an-email"}, ("email",)),
    ({**REGISTRATION, "phone": "call me"}, ("phone",)),
    ({**REGISTRATION, "channel": "television"}, ("channel",)),
    ({**REGISTRATION, "channel": "SEARCH"}, ("channel",)),
    ({**REGISTRATION, "marketing_consent": "perhaps"}, ("marketing_consent",)),
    ({**REGISTRATION, "nickname": "Wu"}, ("nickname",)),
    ({"email": "a@b.cn", "channel": "search"}, ("name",)),
]


def test_invalid_registrations_are_422(api: Api, subtests: pytest.Subtests) -> None:
    for body, fields in INVALID_REGISTRATIONS:
        with subtests.test(fields=fields, body=str(body)[:80]):
            api.refused("POST", "/customers", 422, who=Role.MARKETING, json=body, fields=fields)


INVALID_COMMANDS: list[tuple[str, dict[str, Any], Role, tuple[str, ...]]] = [
    ("purchases", {"amount": "0", "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": "-5.00", "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": "1.005", "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": 1.005, "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": "NaN", "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": "Infinity", "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": "ten", "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": "1" * 20, "order_ref": "Z"}, Role.SALES, ("amount",)),
    ("purchases", {"amount": "5.00"}, Role.SALES, ("order_ref",)),
    (
        "purchases",
        {"amount": "5.00", "order_ref": "Z", "purchased_at": "2999-01-01T00:00:00Z"},
        Role.SALES,
        ("purchased_at",),
    ),
    ("membership", {"tier": "diamond"}, Role.SALES, ("tier",)),
    ("surveys", {"survey": "s", "csat": 0}, Role.CUSTOMER_SERVICE, ("csat",)),
    ("surveys", {"survey": "s", "csat": 6}, Role.CUSTOMER_SERVICE, ("csat",)),
    ("surveys", {"survey": "s", "nps": 11}, Role.CUSTOMER_SERVICE, ("nps",)),
    ("surveys", {"survey": "s", "nps": -1}, Role.CUSTOMER_SERVICE, ("nps",)),
    ("surveys", {"survey": "s"}, Role.CUSTOMER_SERVICE, ("csat", "nps")),
    (
        "surveys",
        {"survey": "s", "csat": 4, "comment": "x" * 10_001},
        Role.CUSTOMER_SERVICE,
        ("comment",),
    ),
    ("follow-ups", {"channel": "fax", "note": "n"}, Role.OPERATIONS, ("channel",)),
    ("follow-ups", {"channel": "phone", "note": "n" * 10_001}, Role.OPERATIONS, ("note",)),
    ("churn", {"reason": "r" * 10_001}, Role.OPERATIONS, ("reason",)),
    ("churn", {}, Role.OPERATIONS, ("reason",)),
    ("activate", {"force": True}, Role.OPERATIONS, ("force",)),
    ("consent", {"marketing": "yes please"}, Role.MARKETING, ("marketing",)),
]


def test_invalid_command_bodies_are_422(api: Api, subtests: pytest.Subtests) -> None:
    customer_id = api.register_customer()
    for command, body, who, fields in INVALID_COMMANDS:
        with subtests.test(command, fields=fields, body=str(body)[:80]):
            path = f"/customers/{customer_id}/{command}"
            api.refused("POST", path, 422, who=who, json=body, fields=fields)


def test_free_text_up_to_10000_characters_is_accepted(api: Api) -> None:
    customer_id = api.register_customer()
    api.ok(
        f"/customers/{customer_id}/follow-ups",
        {"channel": "phone", "note": "长" * 10_000},
        who=Role.OPERATIONS,
    )


def test_purchase_times_are_recorded_in_utc(api: Api) -> None:
    """docs/api.md, Values: times are ISO 8601 in UTC, also a purchased_at sent with an offset."""
    customer_id = api.register_customer()
    api.ok(
        f"/customers/{customer_id}/purchases",
        {"amount": "10.00", "order_ref": "T-1", "purchased_at": "2024-05-01T10:00:00+08:00"},
        who=Role.SALES,
    )
    purchase = api.events("customers", customer_id)[-1]
    recorded = datetime.fromisoformat(purchase["payload"]["purchased_at"])
    assert recorded == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    assert recorded.utcoffset() == timedelta(0), purchase["payload"]


@pytest.mark.parametrize(
    "purchased_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"], ids=["min", "max"]
)
def test_purchase_times_at_the_edge_of_time_are_422_not_500(api: Api, purchased_at: str) -> None:
    """Valid times whose UTC conversion overflows datetime (a 500 once)."""
    customer_id = api.register_customer()
    api.refused(
        "POST",
        f"/customers/{customer_id}/purchases",
        422,
        who=Role.SALES,
        json={"amount": "10.00", "order_ref": "E-1", "purchased_at": purchased_at},
        fields=("purchased_at",),
    )


def test_erasure_makes_personal_data_unreadable_and_refuses_further_commands(api: Api) -> None:
    customer_id = api.register_customer(phone="+86 139 1234 5678")
    path = f"/customers/{customer_id}"
    api.ok(f"{path}/purchases", {"amount": "30.00", "order_ref": "P-1"}, who=Role.SALES)
    api.ok(f"{path}/erase", {"reason": "PIPL request by phone"}, who=Role.CUSTOMER_SERVICE)

    state = api.state("customers", customer_id)
    assert state["erased"] is True
    assert (state["name"], state["email"], state["phone"]) == (None, None, None)
    assert state["purchases"] == 1  # the business facts stay
    history = api.get(f"{path}/events").text
    for personal in (REGISTRATION["name"], REGISTRATION["email"], "1234 5678"):
        assert personal not in history
    old = api.get(path, params={"version": "1"}).json()
    assert (old["name"], old["email"], old["phone"]) == (None, None, None)

    for template, roles in COMMAND_ROLES.items():
        if "{id}" in template:
            api.refused(
                "POST",
                template.replace("{id}", customer_id),
                409,
                "customer-erased",
                who=next(iter(sorted(roles))),
                json=sample_body(template),
            )


def test_the_list_searches_text_literally(api: Api) -> None:
    """`q` is a substring, not a LIKE pattern: % and _ match only themselves."""
    plain = api.register_customer(name="王芳")
    marked = api.register_customer(name="50%_off 李雷")
    position = api.ok(f"/customers/{marked}/activate", {}, who=Role.OPERATIONS)["position"]

    def found(text: str) -> set[str]:
        response = api.get("/customers", params={"q": text, "min_position": position})
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert found("%") == {marked}
    assert found("_") == {marked}
    assert found("芳") == {plain}
    assert found("0%_O") == {marked}
