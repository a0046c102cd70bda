"""E-mail notices of the loan network through a real SMTP server, on SQLite and PostgreSQL.

The catalogue of tests/libnet/test_loans.py: a patron of Datteln asks for a title that Herten
and Marl lend (Herten first). Herten and Marl have addresses for notices, Datteln has none.
Mail goes to aiosmtpd on 127.0.0.1; a server that is down is a free port nobody listens on.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from libnet import accounts, loans
from libnet.accounts import Account
from libnet.cli import main
from libnet.config import MailConfig, load_config
from libnet.loans.mailer import (
    FIRST_RETRY,
    MAX_ATTEMPTS,
    SendReport,
    library_addresses,
    send_pending,
)
from libnet.loans.notices import LIBRARY_KINDS, PATRON_KINDS, Mailing, Notice, list_notices, render
from libnet.store.schema import notices
from tests.libnet.test_loans import MONDAY, PASSWORD, Network
from tests.peers.postgres import free_port
from tests.peers.smtp import HangUp, SmtpServer

SITE = "https://fernleihe.example"
MAILING = Mailing(SITE, {"datteln": "Stadtbibliothek Datteln", "herten": "Stadtbibliothek Herten",
                         "marl": "Stadtbibliothek Marl"})  # fmt: skip
ADDRESSES = {"herten": "fernleihe@herten.example", "marl": "ausleihe@marl.example"}
TITLE = "Die Vermessung der Welt (Hörbuch, gekürzte Fassung)"
SEND = datetime(2027, 1, 13, 8, 0, tzinfo=UTC)  # after every change of the tests


class MailNetwork(Network):
    """test_loans' network whose changes pass the Mailing, and sending at a given time."""

    def patron_with(self, email: str, language: str, card: str = "D300") -> Account:
        with self.engine.begin() as conn:
            return accounts.add_user(conn, role="patron", library="datteln", name="Jörg Müller",
                                     card=card, email=email, language=language,
                                     password=PASSWORD)  # fmt: skip

    def place(self, patron: Account | None = None, **given) -> loans.LoanRequest:
        with loans.transaction(self.engine) as conn:
            return loans.place_request(
                conn, patron or self.patron, self.cluster, title=TITLE,
                now=given.pop("now", MONDAY), mailing=MAILING, **given,
            )  # fmt: skip

    def act(self, request: loans.LoanRequest, action: str, user: Account | None, **given):
        return super().act(request, action, user, mailing=MAILING, **given)

    def timers(self, now: datetime) -> loans.TimerReport:
        return loans.run_timers(self.engine, now, mailing=MAILING)

    def send(
        self, mail: MailConfig, at: datetime = SEND, addresses: dict[str, str] = ADDRESSES
    ) -> SendReport:
        return send_pending(self.engine, mail, addresses, now=at)

    def notices(self, *, unsent: bool = False) -> list[Notice]:
        with self.engine.connect() as conn:
            return list_notices(conn, unsent=unsent)

    def due_now(self) -> None:
        """Every unsent notice due at once: for the command, which sends at the clock's time."""
        with self.engine.begin() as conn:
            past = datetime(2000, 1, 1, tzinfo=UTC)
            conn.execute(update(notices).where(notices.c.sent_at.is_(None))
                         .values(next_attempt_at=past))  # fmt: skip


@pytest.fixture
def net(tmp_path: Path, store_url: str) -> Iterator[MailNetwork]:
    network = MailNetwork(tmp_path, store_url)
    yield network
    network.catalogue.store.close()


def mail_to(server: SmtpServer | HangUp | int, **given) -> MailConfig:
    port = server if isinstance(server, int) else server.port
    return MailConfig(host="127.0.0.1", port=port, sender="fernleihe@kreis-re.example",
                      timeout=5.0, site_url=SITE, **given)  # fmt: skip


GERMAN = [
    (f"Ihre Fernleihe ist bestellt: „{TITLE}“",
     ["Guten Tag Jörg Müller,", "vielen Dank für Ihre Bestellung!",
      "Abholort:       Stadtbibliothek Datteln"]),
    (f"Zur Abholung bereit: „{TITLE}“", ["Rückgabe bis:   11.01.2027", "Bibliotheksausweis"]),
    (f"Leihfrist abgelaufen: „{TITLE}“", [f"die Leihfrist für „{TITLE}“ ist am 11.01.2027"]),
    (f"Bitte bald zurückgeben: „{TITLE}“", ["früher als geplant", "Rückgabe bei:",
                                                   "bis zum 21.12.2026"]),
    (f"Ihre Fernleihe ist bestellt: „{TITLE}“", ["Bestellnummer:"]),
    (f"Leider nicht lieferbar: „{TITLE}“", ["leider konnte Ihnen keine Bibliothek"]),
]  # fmt: skip
ENGLISH = [
    (f'Your interlibrary loan request: "{TITLE}"',
     ["Hello Jörg Müller,", "Pickup at:       Stadtbibliothek Datteln"]),
    (f'Ready for you to collect: "{TITLE}"', ["Due back:        11 January 2027"]),
    (f'Loan period over: "{TITLE}"', [f'The loan period for "{TITLE}" ended on 11 January 2027']),
    (f'Please return soon: "{TITLE}"', ["earlier than planned", "Return to:",
                                                 "by 21 December 2026"]),
    (f'Your interlibrary loan request: "{TITLE}"', ["Request number:"]),
    (f'Sorry, not available: "{TITLE}"', ["no library in Kreis Recklinghausen"]),
]  # fmt: skip


@pytest.mark.parametrize(("language", "expected"), [("de", GERMAN), ("en", ENGLISH)])
def test_a_patron_hears_of_each_step_in_their_language_with_umlauts_intact(
    net: MailNetwork, smtp: SmtpServer, language: str, expected: list
) -> None:
    patron = net.patron_with("joerg@example.org", language)
    herten, datteln = net.staff["herten"], net.staff["datteln"]
    request = net.place(patron)
    for action, user, details in (
        ("will_supply", herten, {}),
        ("ship", herten, {"due_date": "2027-01-11"}),
        ("receive", datteln, {}),
        ("hand_to_patron", datteln, {}),
    ):
        request = net.act(request, action, user, details=details)
    assert net.timers(datetime(2027, 1, 12, 1, tzinfo=UTC)).overdue == (request.id,)
    with net.engine.connect() as conn:
        request = loans.get(conn, request.id)
    for action, user in (("recall", herten), ("patron_returned", datteln),
                         ("ship_back", datteln), ("receive_back", herten)):  # fmt: skip
        request = net.act(request, action, user)
    second = net.place(patron)
    for supplier in ("marl", "herten"):  # herten shipped lately: marl comes first now
        assert second.supplier == supplier
        second = net.act(second, "cannot_supply", net.staff[supplier],
                         details={"reason": "missing"})  # fmt: skip
    assert second.state is loans.State.UNFILLED

    assert net.send(mail_to(smtp)).ok
    got = smtp.to("joerg@example.org")
    assert [m.message["Subject"] for m in got] == [subject for subject, _ in expected]
    queued = [n for n in net.notices() if n.recipient == "joerg@example.org"]
    assert [n.kind for n in queued] == ["placed", "ready", "overdue", "recalled", "placed",
                                        "unfilled"]  # fmt: skip
    for received, notice, (_, phrases) in zip(got, queued, expected, strict=True):
        assert received.body == notice.body  # every umlaut and quotation mark as written
        assert received.message["Content-Language"] == language
        for phrase in phrases:
            assert phrase in received.body
        assert f"{SITE}/account/requests" in received.body


def test_a_patron_is_not_asked_to_return_a_copy_they_never_collected(net: MailNetwork) -> None:
    patron = net.patron_with("joerg@example.org", "de")
    herten, datteln = net.staff["herten"], net.staff["datteln"]
    request = net.act(net.place(patron), "will_supply", herten)
    request = net.act(request, "ship", herten, details={"due_date": "2027-01-11"})
    request = net.act(request, "receive", datteln)  # waits at the pickup library
    assert net.timers(datetime(2027, 1, 12, 1, tzinfo=UTC)).overdue == (request.id,)
    with net.engine.connect() as conn:
        net.act(loans.get(conn, request.id), "recall", herten)
    mine = [n.kind for n in net.notices() if n.recipient == "joerg@example.org"]
    assert mine == ["placed", "ready"]


def test_a_notice_is_a_proper_utf8_message(net: MailNetwork, smtp: SmtpServer) -> None:
    net.place(net.patron_with("joerg@example.org", "de"))
    assert net.send(mail_to(smtp)) == SendReport(sent=2, failed=0, waiting=0)
    received = smtp.to("joerg@example.org")[0]
    message = received.message
    assert received.mail_from == "fernleihe@kreis-re.example"
    assert message["From"] == "fernleihe@kreis-re.example"
    assert message["To"] == "joerg@example.org"
    assert parsedate_to_datetime(message["Date"]) == SEND
    assert message["Message-ID"].startswith("<notice-") and message["Message-ID"].endswith(
        "@kreis-re.example>"
    )
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"  # 7-bit clean
    assert message["Auto-Submitted"] == "auto-generated"
    assert "Grüße" in received.body


def test_a_new_request_goes_to_the_supplier_and_after_cannot_supply_to_the_next(
    net: MailNetwork, smtp: SmtpServer
) -> None:
    request = net.place()
    request = net.act(request, "cannot_supply", net.staff["herten"], details={"reason": "missing"})
    assert net.send(mail_to(smtp)) == SendReport(sent=2, failed=0, waiting=0)
    [herten] = smtp.to("fernleihe@herten.example")
    [marl] = smtp.to("ausleihe@marl.example")
    subject = f"Neue Fernleihbestellung {request.id}: „{TITLE}“"
    assert herten.message["Subject"] == marl.message["Subject"] == subject
    assert "eine neue Fernleihbestellung aus dem Verbund" in herten.body
    assert "Ihr Datensatz:           h1" in herten.body
    assert "weil die vorige Bibliothek\nsie nicht erfüllen konnte" in marl.body
    assert "Ihr Datensatz:           m1" in marl.body
    assert "Bestellende Bibliothek:  Stadtbibliothek Datteln" in marl.body
    assert f"{SITE}/staff/requests/{request.id}" in marl.body


def test_a_silent_supplier_skipped_by_the_timers_tells_the_next_one(
    net: MailNetwork, smtp: SmtpServer
) -> None:
    request = net.place(now=datetime(2026, 12, 23, 15, tzinfo=UTC))
    assert net.timers(datetime(2026, 12, 31, 1, tzinfo=UTC)).skipped == (request.id,)
    net.send(mail_to(smtp))
    assert len(smtp.to("fernleihe@herten.example")) == 1
    assert "weitergegangen" in smtp.to("ausleihe@marl.example")[0].body


def test_a_renewal_asked_goes_to_the_supplier(net: MailNetwork, smtp: SmtpServer) -> None:
    herten, datteln = net.staff["herten"], net.staff["datteln"]
    request = net.act(net.place(), "will_supply", herten)
    request = net.act(request, "ship", herten, details={"due_date": "2027-01-11"})
    request = net.act(request, "receive", datteln)
    net.act(request, "renew", datteln)
    net.send(mail_to(smtp))
    subjects = [m.message["Subject"] for m in smtp.to("fernleihe@herten.example")]
    assert subjects[-1] == f"Verlängerung erbeten, Fernleihe {request.id}: „{TITLE}“"
    assert "Bisher fällig am:        11.01.2027" in smtp.to("fernleihe@herten.example")[-1].body


def test_with_the_server_down_nothing_is_lost_and_all_goes_when_it_is_back(
    net: MailNetwork,
) -> None:
    request = net.place(net.patron_with("joerg@example.org", "de"))
    net.act(request, "cannot_supply", net.staff["herten"], details={"reason": "missing"})
    port = free_port()  # nobody listens here
    report = net.send(mail_to(port))
    assert (report.sent, report.failed, report.waiting) == (0, 3, 3)
    assert "refused" in report.error.lower()
    for notice in net.notices():
        assert notice.status == "waiting" and notice.sent_at is None
        assert notice.attempts == 1 and "refused" in (notice.last_error or "").lower()
        assert notice.next_attempt_at == SEND + FIRST_RETRY
    with SmtpServer(port=port) as smtp:
        assert net.send(mail_to(port), at=SEND + timedelta(minutes=1)) == SendReport(0, 0, 3)
        assert smtp.messages == []  # not yet due again: the server is left alone
        assert net.send(mail_to(port), at=SEND + FIRST_RETRY) == SendReport(3, 0, 0)
    assert len(smtp.messages) == 3
    assert all(n.attempts == 2 and n.sent_at == SEND + FIRST_RETRY for n in net.notices())


def test_a_server_that_hangs_up_is_asked_once_a_round(net: MailNetwork) -> None:
    request = net.place(net.patron_with("joerg@example.org", "de"))
    net.act(request, "cannot_supply", net.staff["herten"], details={"reason": "missing"})
    with HangUp() as server:
        report = net.send(mail_to(server))
    assert server.connections == 1
    assert (report.sent, report.failed, report.waiting) == (0, 3, 3)
    assert {n.attempts for n in net.notices()} == {1}


def test_a_server_that_does_not_answer_times_out_and_keeps_the_notices(net: MailNetwork) -> None:
    net.place(net.patron_with("joerg@example.org", "de"))
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never greets
        report = net.send(replace(mail_to(silent.getsockname()[1]), timeout=0.2))
    assert (report.sent, report.failed, report.waiting) == (0, 2, 2)
    assert report.error.endswith("timed out")
    assert [n.attempts for n in net.notices() if "timed out" in (n.last_error or "")] == [1, 1]


def test_a_patron_without_email_gets_nothing_and_nothing_fails(
    net: MailNetwork, smtp: SmtpServer
) -> None:
    herten, datteln = net.staff["herten"], net.staff["datteln"]
    request = net.act(net.place(), "will_supply", herten)  # net.patron has no address
    request = net.act(request, "ship", herten, details={"due_date": "2027-01-11"})
    net.act(request, "receive", datteln)
    assert [n.kind for n in net.notices()] == ["incoming"]
    assert net.send(mail_to(smtp)) == SendReport(sent=1, failed=0, waiting=0)
    assert [m.rcpt_tos for m in smtp.messages] == [["fernleihe@herten.example"]]


def test_a_library_without_an_address_is_skipped_and_logged(
    net: MailNetwork, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    net.place()
    with caplog.at_level(logging.WARNING, logger="libnet.notices"):
        report = net.send(mail_to(smtp), addresses={"marl": "ausleihe@marl.example"})
    assert report == SendReport(sent=0, failed=0, waiting=0, skipped=1)
    assert "the library has no email" in caplog.text
    [notice] = net.notices()
    assert (notice.status, notice.last_error) == ("skipped", "skipped: library herten has no email")
    assert net.send(mail_to(smtp), at=SEND + timedelta(days=1)) == SendReport(0, 0, 0)
    assert smtp.messages == []


def test_a_refused_recipient_is_given_up_after_some_attempts_and_the_rest_goes(
    net: MailNetwork,
) -> None:
    net.place(net.patron_with("niemand@example.org", "de"))
    at = SEND
    with SmtpServer(refuse={"niemand@example.org"}) as smtp:
        assert net.send(mail_to(smtp), at=at) == SendReport(sent=1, failed=1, waiting=1)
        for _ in range(MAX_ATTEMPTS - 1):
            at += timedelta(hours=2)
            assert net.send(mail_to(smtp), at=at).failed == 1
        assert net.send(mail_to(smtp), at=at + timedelta(days=1)) == SendReport(0, 0, 0)
    assert [m.rcpt_tos for m in smtp.messages] == [["fernleihe@herten.example"]]
    [refused] = net.notices(unsent=True)
    assert (refused.status, refused.attempts) == ("failed", MAX_ATTEMPTS)
    assert refused.last_error == "recipient refused: 550 5.1.1 no such mailbox here"


def test_a_bad_address_stored_before_fails_that_notice_only_and_the_round_goes_on(
    net: MailNetwork, smtp: SmtpServer
) -> None:
    """An address with a line break (a header injection) got into the store before addresses
    were checked: its notice fails with the reason, the notices before and after it go."""
    for n, email in enumerate(("anna@example.org", "bernd@example.org", "clara@example.org")):
        net.place(net.patron_with(email, "de", card=f"D30{n}"))
    bad = "a@b.de\r\nBcc: x@y.de"
    with net.engine.begin() as conn:
        conn.execute(update(notices).where(notices.c.recipient == "bernd@example.org")
                     .values(recipient=bad))  # fmt: skip
    patrons = [n for n in net.notices() if n.kind == "placed"]
    assert [n.recipient for n in patrons] == ["anna@example.org", bad, "clara@example.org"]
    assert net.send(mail_to(smtp)) == SendReport(sent=5, failed=1, waiting=0)
    received = sorted(to for m in smtp.messages for to in m.rcpt_tos)
    assert received == ["anna@example.org", "clara@example.org"] + ["fernleihe@herten.example"] * 3
    assert not any("x@y.de" in m.message.as_string() for m in smtp.messages)
    [failed] = net.notices(unsent=True)
    assert failed.recipient == bad and failed.status == "failed"
    assert failed.last_error.startswith("bad recipient address: not an e-mail address")
    assert net.send(mail_to(smtp), at=SEND + timedelta(days=1)) == SendReport(0, 0, 0)


def test_with_mail_off_the_notices_wait(net: MailNetwork) -> None:
    net.place(net.patron_with("joerg@example.org", "de"))
    assert net.send(MailConfig()) == SendReport(sent=0, failed=0, waiting=2)
    assert {(n.status, n.attempts) for n in net.notices()} == {("waiting", 0)}


def test_notices_are_queued_with_the_change_or_not_at_all(net: MailNetwork) -> None:
    patron = net.patron_with("joerg@example.org", "de")
    with pytest.raises(RuntimeError), loans.transaction(net.engine) as conn:
        loans.place_request(conn, patron, net.cluster, title=TITLE, now=MONDAY, mailing=MAILING)
        raise RuntimeError("the page broke after the click")
    assert net.notices() == []
    request = net.place(patron)
    assert [(n.kind, n.request_id) for n in net.notices()] == [
        ("placed", request.id), ("incoming", request.id),
    ]  # fmt: skip


def test_the_password_comes_from_the_environment(
    net: MailNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net.place()
    with SmtpServer(login=("libnet", "geheim-2027")) as smtp:
        text = (f'[storage]\n[mail]\nhost = "127.0.0.1"\nport = {smtp.port}\n'
                f'username = "libnet"\npassword = "falsch"\n{LIBRARIES}')  # fmt: skip
        (tmp_path / "mail.toml").write_text(text)
        wrong = load_config(tmp_path / "mail.toml", environ={})
        report = net.send(wrong.mail, addresses=library_addresses(wrong))
        assert (report.failed, report.waiting) == (1, 1) and "535" in report.error
        right = load_config(tmp_path / "mail.toml", environ={"LIBNET_SMTP_PASSWORD": "geheim-2027"})
        assert right.mail.password == "geheim-2027"
        assert net.send(right.mail, SEND + FIRST_RETRY, library_addresses(right)).sent == 1
    assert [m.rcpt_tos for m in smtp.messages] == [["fernleihe@herten.example"]]


LIBRARIES = "".join(
    f'[[libraries]]\ncode = "{code}"\nname = "{code}"\nemail = "{ADDRESSES.get(code, "")}"\n'
    f'[libraries.source]\ntype = "marc"\nurl = "{code}.mrc"\n'
    for code in ("datteln", "herten", "marl")
)


def test_the_command_sends_lists_and_fails_when_the_server_is_down(
    net: MailNetwork, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    net.place(net.patron_with("joerg@example.org", "en"))
    url = net.engine.url.render_as_string(hide_password=False)
    config = tmp_path / "config.toml"
    down = free_port()
    config.write_text(f'[storage]\ndatabase_url = "{url}"\n[mail]\nhost = "127.0.0.1"\n'
                      f"port = {down}\n{LIBRARIES}")  # fmt: skip
    net.due_now()
    assert main(["notices", "send", "--config", str(config)]) == 1
    assert "0 sent, 2 failed, 2 waiting" in capsys.readouterr().out
    assert main(["notices", "list", "--unsent", "--json", "--config", str(config)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(n["kind"], n["status"], n["attempts"]) for n in listed] == [
        ("placed", "waiting", 1), ("incoming", "waiting", 1),
    ]  # fmt: skip
    assert listed[0]["language"] == "en" and listed[0]["sent_at"] is None
    net.due_now()  # the retry, not in five minutes
    config.write_text(config.read_text().replace(f"port = {down}", f"port = {smtp.port}"))
    assert main(["notices", "send", "--config", str(config)]) == 0
    assert "2 sent, 0 failed, 0 waiting" in capsys.readouterr().out
    assert main(["notices", "list", "--unsent", "--config", str(config)]) == 0
    assert "placed" not in capsys.readouterr().out
    assert len(smtp.messages) == 2


def test_every_patron_notice_speaks_german_and_english_and_german_is_the_default() -> None:
    context = {"title": "Tyll", "request_id": 7, "patron": "Ute Ölmann", "pickup": "Marl",
               "requesting": "Marl", "supplier": "Herten", "supplier_local_id": "h7",
               "moved_on": False, "due_date": "", "link": f"{SITE}/x"}  # fmt: skip
    for kind in PATRON_KINDS:
        german, english = render(kind, "de", context), render(kind, "en", context)
        assert german != english and "Ute Ölmann" in german[1] and "Ute Ölmann" in english[1]
        assert render(kind, "fr", context) == german
    for kind in LIBRARY_KINDS:
        assert render(kind, "en", context) == render(kind, "de", context)
        assert "Guten Tag," in render(kind, "de", context)[1]


def test_the_timers_command_moves_on_and_sends_what_it_caused(
    net: MailNetwork, smtp: SmtpServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = net.place(now=datetime(2026, 11, 16, 9, 0, tzinfo=UTC))  # weeks before the clock
    url = net.engine.url.render_as_string(hide_password=False)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndatabase_url = "{url}"\n[mail]\nhost = "127.0.0.1"\n'
                      f"port = {smtp.port}\n{LIBRARIES}")  # fmt: skip
    assert main(["loans", "timers", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"1 moved on from a supplier that did not answer ({request.id}), 0 overdue" in out
    assert "2 sent, 0 failed, 0 waiting" in out
    with net.engine.connect() as conn:
        assert loans.get(conn, request.id).supplier == "marl"
    [marl] = smtp.to("ausleihe@marl.example")
    assert marl.message["Subject"].startswith(f"Neue Fernleihbestellung {request.id}")
    assert len(smtp.to("fernleihe@herten.example")) == 1  # told when it was placed
    assert main(["loans", "timers", "--config", str(config)]) == 0  # nothing left to do
    assert "0 moved on from a supplier that did not answer (none)" in capsys.readouterr().out
