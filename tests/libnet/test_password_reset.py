"""A forgotten password set anew: the signed link's token, valid once and for one hour; the
account's own e-mail address and language, and the notice about the account itself."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from libnet import accounts
from libnet.accounts import AccountError, reset, sessions
from libnet.accounts.model import password_hash, password_matches
from libnet.loans import notices
from libnet.store.schema import users
from tests.libnet.test_loans import MONDAY, Network

SECRET = "a-secret-key-of-the-web-app"
NEW = "blaues-pferd-77"
LIFETIMES = sessions.Lifetimes.hours(8, 12)
LINK = "https://katalog.example/password/reset/abc"


@pytest.fixture
def network(tmp_path: Path, store_url: str) -> Network:
    net = Network(tmp_path, store_url)
    with net.engine.begin() as conn:
        accounts.set_contact(conn, net.patron.id, email="anna@example.org", language="en")
    return net


def patron(network: Network) -> accounts.Account:
    with network.engine.connect() as conn:
        return accounts.get_user(conn, network.patron.id)


def issued(network: Network, now=MONDAY) -> str:
    with network.engine.connect() as conn:
        return reset.issue(conn, SECRET, patron(network), now)


def opens(network: Network, token: str, now=MONDAY, secret: str = SECRET) -> bool:
    with network.engine.connect() as conn:
        return reset.account_for(conn, secret, token, now) is not None


def test_a_token_works_for_an_hour_and_not_after(network: Network) -> None:
    token = issued(network)
    assert opens(network, token, MONDAY + timedelta(minutes=59))
    assert not opens(network, token, MONDAY + timedelta(minutes=61))
    assert not opens(network, token, MONDAY - timedelta(minutes=5))  # from the future


def test_a_token_of_another_key_or_changed_by_a_letter_opens_nothing(network: Network) -> None:
    token = issued(network)
    assert not opens(network, token, secret="another-key")
    # a letter of the signature's first part (the last letter may carry only padding bits)
    cut = token.rindex(".") + 1
    changed = token[:cut] + ("A" if token[cut] != "A" else "B") + token[cut + 1 :]
    assert not opens(network, changed)
    assert not opens(network, "") and not opens(network, "x" * 1000)


def test_setting_the_password_uses_the_token_up_and_ends_every_session(network: Network) -> None:
    token = issued(network)
    with network.engine.begin() as conn:
        sessions.start(conn, network.patron.id, "phone", MONDAY)
        sessions.start(conn, network.patron.id, "laptop", MONDAY)
        done = reset.set_new_password(conn, SECRET, token, NEW, MONDAY)
    assert done is not None and done.id == network.patron.id
    with network.engine.begin() as conn:
        assert password_matches(password_hash(conn, network.patron.id), NEW)
        assert sessions.open_sessions(conn, network.patron.id, LIFETIMES, MONDAY) == []
        assert reset.set_new_password(conn, SECRET, token, "drittes-pferd", MONDAY) is None
    assert not opens(network, token)


def test_a_token_dies_when_the_password_changes_or_the_account_logs_in(network: Network) -> None:
    token = issued(network)
    with network.engine.begin() as conn:
        accounts.set_password(conn, network.patron.id, NEW)
    assert not opens(network, token)
    token = issued(network)
    with network.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == network.patron.id)
                     .values(last_login=MONDAY))  # fmt: skip
    assert not opens(network, token)


def test_a_too_short_password_is_refused_and_the_token_still_works(network: Network) -> None:
    token = issued(network)
    with pytest.raises(AccountError, match="at least 8"), network.engine.begin() as conn:
        reset.set_new_password(conn, SECRET, token, "kurz", MONDAY)
    assert opens(network, token)


def test_only_accounts_with_a_password_here_and_an_address_can_be_reset(network: Network) -> None:
    with network.engine.begin() as conn:
        accounts.add_user(conn, role="patron", library="marl", name="Doris", card="M400",
                          password=None, email="doris@example.org")  # fmt: skip
        accounts.set_contact(conn, network.staff["herten"].id, email="team@herten.example",
                             language="de")  # fmt: skip
        found = {
            (library, login): reset.account_to_reset(conn, library, login)
            for library, login in (("datteln", "D100"), ("herten", "D100"), ("datteln", "D200"),
                                   ("marl", "M400"), ("", "team HERTEN"), ("", "D100"))
        }  # fmt: skip
        accounts.disable_user(conn, network.patron.id)
        assert reset.account_to_reset(conn, "datteln", "D100") is None
    assert found[("datteln", "D100")].id == network.patron.id
    assert found[("", "team HERTEN")].id == network.staff["herten"].id
    assert [key for key, account in found.items() if account is None] == [
        ("herten", "D100"),  # another library's card of that number: nobody
        ("datteln", "D200"),  # no e-mail address
        ("marl", "M400"),  # the library's own system keeps the PIN
        ("", "D100"),  # a card is no staff name
    ]


def test_the_reset_notice_goes_out_in_the_accounts_language(network: Network) -> None:
    with network.engine.begin() as conn:
        english = notices.queue_for_account(
            conn, "password_reset", patron(network), {"link": LINK}, now=MONDAY
        )
        nobody = notices.queue_for_account(
            conn, "password_reset", network.other_patron, {"link": LINK}, now=MONDAY
        )
        [notice] = notices.list_notices(conn)
    assert english == notice.id and nobody is None
    assert (notice.request_id, notice.language, notice.recipient) == (
        None, "en", "anna@example.org",
    )  # fmt: skip
    assert "Hello Anna Schmidt" in notice.body and LINK in notice.body


@pytest.mark.parametrize(
    ("email", "language", "refused"),
    [
        ("anna@", "de", "not an e-mail"),
        ("a@b.de", "fr", "language"),
        ("a@b.de c@d.de", "de", "not an e-mail"),
    ],
)
def test_contact_details_that_are_not_an_address_or_a_language_are_refused(
    network: Network, email: str, language: str, refused: str
) -> None:
    with pytest.raises(AccountError, match=refused), network.engine.begin() as conn:
        accounts.set_contact(conn, network.patron.id, email=email, language=language)
    assert (patron(network).email, patron(network).language) == ("anna@example.org", "en")
