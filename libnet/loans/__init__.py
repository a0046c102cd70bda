"""The loan network (Fernleihe): a patron's request for a title, sent from library to library.

One module per concept, each importing only the ones above it in this list:
- errors.py: the package's exceptions.
- states.py: the life of a request, one table of the allowed transitions and who may make each.
- library_settings.py: each library's lending settings (paused, days to answer, ...).
- rota.py: the libraries to ask for a title, in order.
- due_dates.py: the due dates a library may set when it ships or renews, and a recall's.
- notices.py: the e-mail notices a change causes, their texts, the queue in the store.
- mailer.py: sending the queued notices by SMTP.
- loan_request.py: placing a request, every change (version-checked, with its audit event),
  reading requests back.
- timers.py: the nightly run's timers (a silent supplier, a passed due date).
- statistics.py: the county statistics, read from the requests and their events.
- anonymisation.py: requests that ended lose their patron after [loans] anonymise_after_days.

Callers write `from libnet import loans; loans.place_request(...)`; the notices, the mailer, the
statistics and the anonymisation are modules of their own (`from libnet.loans import notices`).
"""

from libnet.loans.errors import (
    REFUSALS,
    AlreadyChanged,
    DueDateError,
    LoanError,
    NotYours,
    OwnCopyAvailable,
    TransitionError,
)
from libnet.loans.library_settings import (
    DEFAULT_ANSWER_DAYS,
    DEFAULT_LOAN_DAYS,
    DEFAULT_MAX_LOAN_DAYS,
    DEFAULT_MAX_OPEN,
    DEFAULT_RECALL_DAYS,
    LoanSettings,
    set_settings,
    settings,
)
from libnet.loans.loan_request import (
    OPEN_STATES,
    Event,
    LoanRequest,
    act,
    actor_for,
    get,
    history,
    may_see,
    place_request,
    requests,
)
from libnet.loans.rota import ROTA_WINDOW_DAYS, Holding, holdings
from libnet.loans.states import Actor, State
from libnet.loans.timers import TimerReport, run_timers, working_days_between
from libnet.store import transaction

__all__ = [
    "DEFAULT_ANSWER_DAYS",
    "DEFAULT_LOAN_DAYS",
    "DEFAULT_MAX_LOAN_DAYS",
    "DEFAULT_MAX_OPEN",
    "DEFAULT_RECALL_DAYS",
    "OPEN_STATES",
    "REFUSALS",
    "ROTA_WINDOW_DAYS",
    "Actor",
    "AlreadyChanged",
    "DueDateError",
    "Event",
    "Holding",
    "LoanError",
    "LoanRequest",
    "LoanSettings",
    "NotYours",
    "OwnCopyAvailable",
    "State",
    "TimerReport",
    "TransitionError",
    "act",
    "actor_for",
    "get",
    "history",
    "holdings",
    "may_see",
    "place_request",
    "requests",
    "run_timers",
    "set_settings",
    "settings",
    "transaction",
    "working_days_between",
]
