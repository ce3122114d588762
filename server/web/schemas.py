"""Request and response bodies of the API. Requests are validated by these models, and the
OpenAPI document is generated from them: the two cannot drift apart."""
from __future__ import annotations

import unicodedata
from typing import Annotated, ClassVar, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..rules import PRIORITIES

Priority = Literal[PRIORITIES]  # type: ignore[valid-type]  # the one list of priority groups (rules.context)
TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]


class Request(BaseModel):
    """A request body: strict types, unknown fields refused."""
    model_config = ConfigDict(extra="forbid", strict=True)
    #: a field whose problems get their own error code instead of ``invalid_request``
    error_codes: ClassVar[dict[str, str]] = {}


class Response(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---- text fields ----------------------------------------------------------------------------
def _refuse(value: str, allowed: str) -> str:
    for i, ch in enumerate(value):
        if ch in allowed:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or ch in ("\ufffe", "\uffff", "\u2028", "\u2029"):
            what = "an unpaired surrogate" if category == "Cs" else f"the control character U+{ord(ch):04X}"
            raise ValueError(f"{what} (at position {i}) has no place in this text")
    return value


def _plain(value: str) -> str:
    return _refuse(value, "")


def _multiline(value: str) -> str:
    return _refuse(value.replace("\r\n", "\n").replace("\r", "\n"), "\n\t")


def _secret(value: str) -> str:
    for i, ch in enumerate(value):
        if unicodedata.category(ch) == "Cs":
            raise ValueError(f"an unpaired surrogate (at position {i}) cannot be a character of a password")
    return value


#: One line of text someone typed (a name, a reason, a code): control characters (U+0000–U+001F,
#: U+007F–U+009F, a newline or a tab too), unpaired surrogates, U+FFFE/U+FFFF and the line and
#: paragraph separators are refused with 400; they have no meaning there and only break logs,
#: exports and screens.
PlainText = Annotated[str, AfterValidator(_plain)]
#: Text that may span lines (a visitor's comment): as PlainText, but newlines (CR LF and CR are
#: made LF) and tabs are kept.
MultilineText = Annotated[str, AfterValidator(_multiline)]
#: A password: any character but an unpaired surrogate (which no keyboard types and UTF-8 cannot hold).
SecretText = Annotated[str, AfterValidator(_secret)]


class Estimate(Response):
    kind: Literal["live", "history", "no_history", "no_open_desk"] = Field(
        description="what estimated_wait_s stands on: today's service times, earlier days', nothing (the configured "
                    "default: screens say so), or no open desk serves the service (estimated_wait_s is null)")
    opens_at: Optional[str] = Field(description="no_open_desk: when the center opens next, if its opening hours tell")


# ---- requests -------------------------------------------------------------------------------
class LoginRequest(Request):
    username: PlainText = Field(min_length=1, max_length=64)
    password: SecretText = Field(min_length=1, max_length=256)


class IssueTicketRequest(Request):
    service: PlainText = Field(min_length=1, max_length=64, description="service code from the catalog")
    priority: Optional[Priority] = Field(default=None, description="a priority group, or null")


class TransferRequest(Request):
    service: PlainText = Field(min_length=1, max_length=64, description="the service the ticket will wait for")


class PauseRequest(Request):
    reason: PlainText = Field(min_length=1, max_length=200, description="why the desk pauses, shown to supervisors")


class EmptyRequest(Request):
    """No fields; an empty body or ``{}``."""


IssueTicketRequest.error_codes = {"priority": "invalid_priority"}
PauseRequest.error_codes = {"reason": "invalid_reason"}


# ---- responses ------------------------------------------------------------------------------
class Ticket(Response):
    id: int
    code: str = Field(description="prefix + the day's number, at least 3 digits: A001, A1000")
    service: str
    service_name: str
    agency: str
    agency_name: str
    priority: Optional[Priority]
    status: TicketStatus
    issued_at: str = Field(description="ISO 8601 with the center's UTC offset")
    called_at: Optional[str]
    started_at: Optional[str]
    finished_at: Optional[str]
    desk: Optional[int]
    waiting_ahead: int
    estimated_wait_s: Optional[int] = Field(description="null when no open desk serves the service")
    estimate: Optional[Estimate] = Field(None, description="null once the ticket is no longer waiting")
    status_url: str = Field(description="the visitor's page for this ticket (printed as a QR code)")
    dossiers: list[str] = Field(default=[], description="dossier codes joined at the desk (issue 14)")


class TicketEnvelope(Response):
    ticket: Ticket


class MaybeTicketEnvelope(Response):
    ticket: Optional[Ticket]


class DeskService(Response):
    code: str
    waiting: int


class Desk(Response):
    number: int
    name: str
    agency: str
    agency_name: str
    state: Literal["closed", "open", "paused"]
    pause_reason: Optional[str]
    paused_at: Optional[str]
    officer: Optional[str]
    services: list[DeskService]
    current_ticket: Optional[Ticket]
    served_today: int


class DeskList(Response):
    desks: list[Desk]


class DeskEnvelope(Response):
    desk: Desk


class QueueState(Response):
    code: str
    agency: str
    waiting: int
    estimated_wait_s: Optional[int] = Field(description="null when no open desk serves the service")
    estimate: Estimate
    longest_wait_s: int


class Queues(Response):
    services: list[QueueState]


class CatalogService(Response):
    code: str
    name: str
    prefix: str
    target_wait_min: int
    waiting: int
    estimated_wait_s: Optional[int] = Field(description="null when no open desk serves the service")
    estimate: Estimate


class CatalogAgency(Response):
    code: str
    name: str
    services: list[CatalogService]


class Center(Response):
    name: str
    timezone: str
    public_url: str
    notice: str
    is_open: bool
    next_opening: Optional[str]


class Catalog(Response):
    center: Center
    agencies: list[CatalogAgency]


class UserInfo(Response):
    id: int
    username: str
    role: Literal["officer", "supervisor", "admin"]
    agency: Optional[str]


class LoginResponse(Response):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    user: UserInfo


class Health(Response):
    status: Literal["ok"]


class ErrorBody(Response):
    code: str = Field(description="stable snake_case code")
    message: str
    details: Optional[list[dict]] = None


class Error(Response):
    error: ErrorBody


# ---- supervision, reports, ratings and user administration (server/web/supervision.py, reports_api.py,
# ratings_api.py, admin_api.py) ------------------------------------------------------------------
class RatingRequest(Request):
    score: int = Field(ge=1, le=5, description="1 = Rất không hài lòng … 5 = Rất hài lòng")
    comment: Optional[MultilineText] = Field(default=None, max_length=500)
    reason: Optional[PlainText] = Field(default=None, max_length=200,  # issue 14: [ratings] reasons
                                  description="why, asked at or below [ratings] reason_at_most")


RatingRequest.error_codes = {"score": "invalid_score", "comment": "invalid_comment", "reason": "invalid_reason"}


class CallTicketRequest(Request):
    desk: int = Field(ge=1, lt=2 ** 31, description="the desk the ticket is called to")


class CancelRequest(Request):
    reason: Optional[PlainText] = Field(default=None, max_length=200)


class MoveRequest(Request):
    service: PlainText = Field(min_length=1, max_length=64, description="the service the ticket will wait for instead")


class NewUserRequest(Request):
    username: PlainText = Field(min_length=1, max_length=64)
    password: SecretText = Field(min_length=1, max_length=256)
    role: Literal["officer", "supervisor", "admin"]
    agency: Optional[PlainText] = Field(default=None, max_length=32)


class UsernameRequest(Request):
    username: PlainText = Field(min_length=1, max_length=64, description="the user's name")


class PasswordRequest(UsernameRequest):
    password: SecretText = Field(min_length=1, max_length=256, description="the new password (at least 6 characters)")


class AgencyRequest(UsernameRequest):
    agency: Optional[PlainText] = Field(description="an agency code, or null (not for officers)")


class Rating(Response):
    ticket: int
    code: str
    score: int
    label: str
    comment: Optional[str]
    desk: Optional[int]
    source: Literal["desk_display", "phone", "staff"]
    rated_at: str


class RatingEnvelope(Response):
    rating: Rating


class Figures(Response):
    issued: int
    served: int
    no_show: int
    cancelled: int
    called: int
    avg_wait_s: Optional[float]
    p90_wait_s: Optional[float]
    avg_service_s: Optional[float]
    p90_service_s: Optional[float]
    within_target_pct: Optional[float]
    rating_avg: Optional[float]
    ratings: int


class AgencyFigures(Figures):
    code: str
    name: str


class DeskFigures(Figures):
    number: int
    name: str
    agency: str


class OfficerFigures(Figures):
    user_id: int
    username: str


class HourFigures(Figures):
    hour: int = Field(ge=0, le=23, description="local hour of issue in the center's timezone")


class ReportPeriod(Response):
    from_: str = Field(alias="from")
    to: str
    agency: Optional[str]
    timezone: str


class ReportSummary(Response):
    period: ReportPeriod
    totals: Figures
    by_agency: list[AgencyFigures]
    by_desk: list[DeskFigures]
    by_officer: list[OfficerFigures]
    by_hour: list[HourFigures]


class Overview(Response):
    now: float
    server_time: str
    day: str
    thresholds: dict
    agencies: list[dict]
    desks: list[dict]
    devices: dict
    alerts: list[dict]


class SupervisedTicket(Response):
    id: int
    code: str
    service: str
    service_name: str
    agency: str
    priority: Optional[str]
    status: str
    issued_at: str
    called_at: Optional[str]
    desk: Optional[int]
    waited_s: int


class SupervisedTickets(Response):
    tickets: list[SupervisedTicket]


class TicketResult(Response):
    ticket: dict


class AdminUser(UserInfo):
    active: bool


class AdminUserEnvelope(Response):
    user: AdminUser


class AdminUserList(Response):
    users: list[AdminUser]
