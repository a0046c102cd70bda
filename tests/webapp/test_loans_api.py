"""/api/v1/loans: who may see and do what, by role and library, with the status codes promised.

The network of tests/libnet/test_loans.py (Datteln's copy on loan, Herten and Marl lend,
Dorsten does not), indexed and served; every person has an API token.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import update

from index.update import update_index
from libnet import accounts
from libnet.config import Config, LibraryConfig, MailConfig, SourceConfig, StorageConfig
from libnet.loans import notices
from libnet.store.schema import users
from libnet.web_config import RateLimitsConfig
from tests.libnet.test_loans import Network
from tests.peers.postgres import free_port
from tests.webapp.test_api import rebase, strict
from webapp import create_app

LOANS = "/api/v1/loans"
LIBRARIES = ("datteln", "herten", "marl", "dorsten", "kreis")
PATRON_EMAIL = "anna.schmidt@example.org"


class Served(Network):
    """The network served by the web app. With `mail`, each library has an address
    (code@bibliothek.example) and the patron Anna Schmidt one too, in English."""

    def __init__(
        self,
        tmp_path: Path,
        mail: MailConfig | None = None,
        rate_limits: RateLimitsConfig | None = None,
    ) -> None:
        storage = StorageConfig(tmp_path / "var")
        storage.data_dir.mkdir()
        super().__init__(tmp_path, storage.url)
        update_index(self.catalogue.store, storage.data_dir)
        libraries = tuple(
            LibraryConfig(
                code,
                code.title(),
                SourceConfig("marc", str(tmp_path / f"{code}.mrc")),
                email=f"{code}@bibliothek.example" if mail else "",
            )
            for code in LIBRARIES
        )
        if mail:
            with self.engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == self.patron.id)
                             .values(email=PATRON_EMAIL, language="en"))  # fmt: skip
        config = Config(tmp_path / "config.toml", storage, libraries, mail=mail or MailConfig(),
                        rate_limits=rate_limits or RateLimitsConfig())  # fmt: skip
        self.client: FlaskClient = create_app(config, TESTING=True).test_client()
        people = {"patron": self.patron, "other_patron": self.other_patron,
                  "marl_patron": self.marl_patron, "admin": self.admin,
                  **{f"{code}_staff": account for code, account in self.staff.items()}}  # fmt: skip
        with self.engine.begin() as conn:
            self.tokens = {who: accounts.issue_token(conn, a.login) for who, a in people.items()}

    def call(self, method: str, path: str, who: str | None, body: Any = None):
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.open(path, method=method, json=body, headers=headers)

    def placed(self) -> dict:
        answer = self.call("POST", LOANS, "patron", {"cluster_id": self.cluster})
        assert answer.status_code == 201, answer.json
        return answer.json


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def test_without_a_valid_token_every_call_is_401(served: Served) -> None:
    for method, path in (("GET", LOANS), ("POST", LOANS), ("GET", f"{LOANS}/1"),
                         ("POST", f"{LOANS}/1/transitions")):  # fmt: skip
        answer = served.call(method, path, None, {})
        assert answer.status_code == 401 and answer.json["error"]["status"] == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = served.client.get(LOANS, headers={"Authorization": "Bearer nonsense"})
    assert wrong.status_code == 401


def test_a_patron_places_a_request_and_sees_it(served: Served) -> None:
    loan = served.placed()
    assert (loan["state"], loan["supplier"], loan["pickup_library"]) == (
        "RequestReceived", "herten", "datteln",
    )  # fmt: skip
    assert loan["you_are"] == "patron" and loan["allowed_actions"] == ["patron_cancel"]
    assert loan["patron"]["card"] == "D100" and loan["title"] == "Die Vermessung der Welt"
    listed = served.call("GET", LOANS, "patron").json["loans"]
    assert [item["id"] for item in listed] == [loan["id"]]
    assert served.call("GET", LOANS, "other_patron").json["loans"] == []


def test_placing_is_refused_with_the_reason(served: Served) -> None:
    served.placed()
    again = served.call("POST", LOANS, "patron", {"cluster_id": served.cluster})
    assert again.status_code == 409 and "already" in again.json["error"]["detail"]
    assert again.json["error"]["reason"] == "duplicate"
    own = served.call("POST", LOANS, "marl_patron", {"cluster_id": served.cluster})
    assert own.status_code == 409 and own.json["error"]["reason"] == "own_copy_available"
    staff = served.call("POST", LOANS, "marl_staff", {"cluster_id": served.cluster})
    assert staff.status_code == 403
    for body in ({}, {"cluster_id": "7"}, {"cluster_id": True}, []):
        assert served.call("POST", LOANS, "other_patron", body).status_code == 400
    # found by tests/fuzz: a list is unhashable, and the check of the library raised TypeError
    for pickup in ([None], {"code": "marl"}, 7):
        body = {"cluster_id": served.cluster, "pickup_library": pickup}
        refused = served.call("POST", LOANS, "other_patron", body)
        assert refused.status_code == 400 and "no library" in refused.json["error"]["detail"]
    missing = served.call("POST", LOANS, "other_patron", {"cluster_id": 999_999})
    assert missing.status_code == 404


# who sees a request at Herten for a patron of Datteln, and whether the patron's details
SEES = {
    "patron": (200, True), "other_patron": (403, False), "marl_patron": (403, False),
    "datteln_staff": (200, True), "herten_staff": (200, False), "marl_staff": (403, False),
    "dorsten_staff": (403, False), "admin": (200, True),
}  # fmt: skip


@pytest.mark.parametrize("who", SEES)
def test_each_person_sees_what_their_role_and_library_allow(served: Served, who: str) -> None:
    loan = served.placed()
    status, with_patron = SEES[who]
    answer = served.call("GET", f"{LOANS}/{loan['id']}", who)
    assert answer.status_code == status
    if status == 200:
        assert (answer.json["patron"] is not None) == with_patron
        assert [e["action"] for e in answer.json["history"]] == ["place"]
    listed = served.call("GET", LOANS, who).json["loans"]
    assert [item["id"] for item in listed] == ([loan["id"]] if status == 200 else [])


# will_supply on a request at Herten: who gets which status
WILL_SUPPLY = {
    "patron": 409, "other_patron": 403, "datteln_staff": 409, "herten_staff": 200,
    "marl_staff": 403, "dorsten_staff": 403, "admin": 409,
}  # fmt: skip


@pytest.mark.parametrize("who", WILL_SUPPLY)
def test_only_the_supplier_says_will_supply(served: Served, who: str) -> None:
    loan = served.placed()
    body = {"action": "will_supply", "version": loan["version"]}
    answer = served.call("POST", f"{LOANS}/{loan['id']}/transitions", who, body)
    assert answer.status_code == WILL_SUPPLY[who], answer.json
    if answer.status_code == 409:
        assert "allowed" in answer.json["error"]
    if answer.status_code == 200:
        assert answer.json["state"] == "WillSupply" and answer.json["version"] == 2
        assert answer.json["patron"] is None  # the supplier never sees the patron


def test_a_transition_the_state_does_not_allow_names_the_allowed_ones(served: Served) -> None:
    loan = served.placed()
    body = {"action": "ship", "version": 1, "details": {"due_date": "2027-01-11"}}
    answer = served.call("POST", f"{LOANS}/{loan['id']}/transitions", "herten_staff", body)
    assert answer.status_code == 409
    assert answer.json["error"]["allowed"] == ["expect_to_supply", "will_supply", "cannot_supply"]


def test_a_change_on_an_old_version_is_409_with_the_current_one(served: Served) -> None:
    loan = served.placed()
    path = f"{LOANS}/{loan['id']}/transitions"
    first = served.call("POST", path, "herten_staff", {"action": "will_supply", "version": 1})
    assert first.status_code == 200
    stale = served.call("POST", path, "herten_staff",
                        {"action": "cannot_supply", "version": 1,
                         "details": {"reason": "missing"}})  # fmt: skip
    assert stale.status_code == 409
    assert (stale.json["error"]["state"], stale.json["error"]["version"]) == ("WillSupply", 2)


def test_bad_transition_bodies_are_400(served: Served) -> None:
    loan = served.placed()
    path = f"{LOANS}/{loan['id']}/transitions"
    for body in (
        {"action": "teleport", "version": 1},
        {"action": "cannot_supply", "version": 1},  # no reason
        {"action": "will_supply"},  # no version
        {"action": "will_supply", "version": 1, "details": []},
        "will_supply",
    ):
        assert served.call("POST", path, "herten_staff", body).status_code == 400, body
    assert served.call("POST", f"{LOANS}/999/transitions", "herten_staff",
                       {"action": "will_supply", "version": 1}).status_code == 404  # fmt: skip


def test_the_whole_loan_through_the_api(served: Served) -> None:
    loan = served.placed()
    for who, action, details in (
        ("herten_staff", "cannot_supply", {"reason": "damaged"}),
        ("marl_staff", "will_supply", {}),
        ("marl_staff", "ship", {"due_date": (date.today() + timedelta(days=28)).isoformat()}),
        ("datteln_staff", "receive", {}),
        ("datteln_staff", "hand_to_patron", {}),
        ("datteln_staff", "patron_returned", {}),
        ("datteln_staff", "ship_back", {}),
        ("marl_staff", "receive_back", {}),
    ):
        body = {"action": action, "version": loan["version"], "details": details}
        answer = served.call("POST", f"{LOANS}/{loan['id']}/transitions", who, body)
        assert answer.status_code == 200, (action, answer.json)
        loan = answer.json
    assert loan["state"] == "LoanCompleted" and not loan["open"]
    history = served.call("GET", f"{LOANS}/{loan['id']}", "admin").json["history"]
    assert len(history) == 9 and history[1]["note"] == "reason: damaged"


def test_loan_answers_are_private(served: Served) -> None:
    answer = served.call("GET", LOANS, "patron")
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_incoming_and_outgoing_sides_for_librarians(served: Served) -> None:
    loan = served.placed()
    herten = served.call("GET", f"{LOANS}?side=incoming", "herten_staff").json["loans"]
    datteln = served.call("GET", f"{LOANS}?side=outgoing", "datteln_staff").json["loans"]
    assert [item["id"] for item in herten] == [item["id"] for item in datteln] == [loan["id"]]
    assert served.call("GET", f"{LOANS}?side=incoming", "datteln_staff").json["loans"] == []
    assert served.call("GET", f"{LOANS}?side=sideways", "datteln_staff").status_code == 400


# --- the OpenAPI document ---------------------------------------------------------------------


def test_every_loan_route_is_described(served: Served) -> None:
    spec = served.client.get("/api/v1/openapi.json").json
    app = served.client.application
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("loans_api."):
            path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
            routes.setdefault(path, set()).update(rule.methods)
    described = {path: ops for path, ops in spec["paths"].items() if path.startswith("/loans")}
    assert set(routes) == set(described)
    for path, methods in routes.items():
        assert set(described[path]) == {m.lower() for m in methods} - {"head", "options"}
        security = [{"bearer": []}, {"session": []}]
        assert all(op["security"] == security for op in described[path].values())


def test_real_loan_answers_match_the_document(served: Served) -> None:
    spec = served.client.get("/api/v1/openapi.json").json
    loan = served.placed()
    path = f"{LOANS}/{loan['id']}"
    stale = {"action": "will_supply", "version": 1}
    served.call("POST", f"{path}/transitions", "herten_staff", stale)
    answers = [
        ("/loans", "post", "201", loan),
        ("/loans", "get", "200", served.call("GET", LOANS, "admin").json),
        ("/loans/{loan_id}", "get", "200", served.call("GET", path, "patron").json),
        ("/loans/{loan_id}", "get", "403", served.call("GET", path, "marl_staff").json),
        ("/loans", "get", "401", served.call("GET", LOANS, None).json),
        ("/loans/{loan_id}/transitions", "post", "409",
         served.call("POST", f"{path}/transitions", "herten_staff", stale).json),
        ("/loans/{loan_id}/transitions", "post", "409",
         served.call("POST", f"{path}/transitions", "herten_staff",
                     {"action": "receive", "version": 2}).json),
        ("/loans", "post", "409",
         served.call("POST", LOANS, "marl_patron", {"cluster_id": served.cluster}).json),
    ]  # fmt: skip
    registry = Registry().with_resource("urn:api", DRAFT202012.create_resource(strict(spec)))
    for route, method, status, answer in answers:
        described = spec["paths"][route][method]["responses"][status]
        schema = described["content"]["application/json"]["schema"]
        validator = Draft202012Validator(
            rebase(strict(schema)), registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )  # fmt: skip
        validator.validate(answer)


def test_a_logged_in_page_may_call_the_api_with_its_csrf_token(served: Served) -> None:
    from tests.webapp.test_login import csrf_token, log_in

    log_in(served.client, "D100")
    assert served.client.get(LOANS).json == {"loans": []}
    body = {"cluster_id": served.cluster}
    without = served.client.post(LOANS, json=body)
    assert without.status_code == 403 and "X-CSRFToken" in without.json["error"]["detail"]
    forged = served.client.post(LOANS, json=body, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 403
    token = csrf_token(served.client)
    placed = served.client.post(LOANS, json=body, headers={"X-CSRFToken": token})
    assert placed.status_code == 201 and placed.json["you_are"] == "patron"
    assert [loan["id"] for loan in served.client.get(LOANS).json["loans"]] == [placed.json["id"]]


def test_a_mail_server_that_is_down_fails_no_click_and_loses_no_notice(tmp_path: Path) -> None:
    down = MailConfig(host="127.0.0.1", port=free_port(), timeout=2.0)
    served = Served(tmp_path, mail=down)
    placed = served.placed()
    assert placed["state"] == "RequestReceived"
    assert served.client.application.extensions["libnet"].wait_for_notices()
    with served.engine.connect() as conn:
        kept = notices.list_notices(conn, unsent=True)
    assert sorted(n.kind for n in kept) == ["incoming", "placed"]
    assert all(n.status == "waiting" and n.attempts == 1 and n.last_error for n in kept)


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_a_number_no_store_can_hold_names_nothing(served: Served, number: int) -> None:
    """Found by tests/fuzz: 2**63 overflowed SQLite's integers, a 500."""
    assert served.call("GET", f"{LOANS}/{number}", "admin").status_code == 404
    change = {"action": "skip_supplier", "version": 1}
    assert served.call("POST", f"{LOANS}/{number}/transitions", "admin", change).status_code == 404
    placed = served.call("POST", LOANS, "patron", {"cluster_id": number})
    assert placed.status_code == 404 and "no title" in placed.json["error"]["detail"]
