"""Live status over SIP2: Item Information (17/18), one question per copy, by its barcode.

Nearly every library management system speaks SIP2 (the self-check machines use it), many
have no DAIA. For each copy with a barcode (the holdings profile's: 952 $p, or the 924's
barcode subfield where the profile names one) libnet sends Item Information with the
institution id (AO, `location_code`) and the barcode (AB), and reads the answer's circulation
status and due date (AH):

    01 other, or anything else  status unknown   07 recalled          11 claimed returned
    02 on order                                  08 on the hold shelf 12 lost
    03 available                                 09 being reshelved   13 missing
    04, 05 on loan (due date AH)                 10 in transit
    06 in processing

An answer with status 01 and no title (AJ) is the system saying it does not know the barcode;
that copy keeps its harvested status. The copies are asked in parallel over the library's
pool of connections (libnet.sip2.pool), at most MAX_COPIES of them per page; the source
stops waiting a little before the record page's deadline (`timeout`) and answers None for the
copies whose answer did not come, so they keep their harvested status.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from datetime import datetime

from libnet.availability.config import AvailabilityConfig
from libnet.availability.model import (
    AVAILABLE,
    CLAIMED_RETURNED,
    IN_PROCESSING,
    IN_TRANSIT,
    LIVE,
    LOST,
    MISSING,
    ON_HOLD_SHELF,
    ON_LOAN,
    ON_ORDER,
    RECALLED,
    RESHELVING,
    UNKNOWN,
    Answer,
    Copy,
    CopyStatus,
    Unanswered,
)
from libnet.sip2 import requests
from libnet.sip2.connection import Endpoint, Failure
from libnet.sip2.messages import Answer as Sip2Answer
from libnet.sip2.messages import FieldRefused, parse_sip_date
from libnet.sip2.pool import SessionPool
from libnet.sip2.session import Login

MAX_COPIES = 30  # copies asked about per library and page; the rest keep the harvested status
WAIT_SHARE = 0.9  # of `timeout`: the source answers before the page stops waiting for it
CIRCULATION = {"02": ON_ORDER, "03": AVAILABLE, "04": ON_LOAN, "05": ON_LOAN,
               "06": IN_PROCESSING, "07": RECALLED, "08": ON_HOLD_SHELF, "09": RESHELVING,
               "10": IN_TRANSIT, "11": CLAIMED_RETURNED, "12": LOST, "13": MISSING}  # fmt: skip
WITH_DUE_DATE = frozenset({ON_LOAN, RECALLED})
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class Sip2Source:
    """One library's system over SIP2 (a LiveSource)."""

    def __init__(self, library: str, config: AvailabilityConfig) -> None:
        self.library = library
        self.institution = config.location_code
        self.wait = config.timeout * WAIT_SHARE
        endpoint = Endpoint(config.host, config.port, config.tls, config.timeout, config.encoding)
        login = None
        if config.login_user and config.login_password_file is not None:
            login = Login(config.login_user, config.login_password_file, config.location_code)
        self.pool = SessionPool(endpoint, login, config.max_connections)
        self._workers = ThreadPoolExecutor(config.max_connections,
                                           thread_name_prefix=f"sip2-{library}")  # fmt: skip

    def statuses(self, record_id: str, copies: Sequence[Copy], now: datetime) -> Answer:
        deadline = time.monotonic() + self.wait
        asked = [n for n, copy in enumerate(copies) if copy.barcode][:MAX_COPIES]
        if not asked:
            return Unanswered(self.library, "no copy of this record has a barcode to ask about")
        futures = {
            n: self._workers.submit(self._one, copies[n].barcode, now, deadline) for n in asked
        }
        wait_for(futures.values(), timeout=max(deadline - time.monotonic(), 0.0))
        found: list[CopyStatus | None] = [None] * len(copies)
        problems: list[str] = []
        for n, future in futures.items():
            done = future.done() and not future.cancelled()
            result = future.result() if done else f"no answer within {self.wait:.2g} s"
            if isinstance(result, CopyStatus):
                found[n] = result
            else:
                problems.append(result)
        if not any(found):
            return Unanswered(self.library, problems[0])
        return tuple(found)

    def close(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)
        self.pool.close()

    def _one(self, barcode: str, now: datetime, deadline: float) -> CopyStatus | str:
        """One copy's status, or why there is none."""
        left = deadline - time.monotonic()
        if left <= 0:
            return "not asked: the record page had stopped waiting"
        request = requests.item_information(self.institution, barcode, now)
        answer = self.pool.exchange(request, wait=left)
        if isinstance(answer, FieldRefused):
            return f"barcode {barcode!r} cannot be sent over SIP2: {answer}"
        if isinstance(answer, Failure):
            return answer.reason
        return status_from_answer(answer, now) or f"the system does not know barcode {barcode!r}"


def status_from_answer(answer: Sip2Answer, now: datetime) -> CopyStatus | None:
    """A copy's status from its Item Information answer (18); None for an unknown barcode."""
    code = answer.fixed[0]
    if code == "01" and not answer.get("AJ").strip():
        return None
    state = CIRCULATION.get(code, UNKNOWN)
    expected = due_day(answer.get("AH")) if state in WITH_DUE_DATE else ""
    return CopyStatus(state, LIVE, now, expected=expected)


def due_day(text: str) -> str:
    """The ISO day of a due date (AH): a SIP2 date, or an ISO day as some systems send it;
    "" when it is neither (then the page says "on loan" without a day)."""
    text = text.strip()
    if _ISO_DAY.match(text):
        return text[:10]
    day = parse_sip_date(text)
    return day.isoformat() if day else ""
