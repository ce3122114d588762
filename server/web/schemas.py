"""Request and response bodies of the API. Requests are validated by these models, and the
OpenAPI document is generated from them: the two cannot drift apart."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["elderly", "disabled", "pregnant", "child", "veteran"]
TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled"]


class Request(BaseModel):
    """A request body: strict types, unknown fields refused."""
    model_config = ConfigDict(extra="forbid", strict=True)
    #: a field whose problems get their own error code instead of ``invalid_request``
    error_codes: ClassVar[dict[str, str]] = {}


class Response(BaseModel):
    model_config = ConfigDict(extra="allow")


# ---- requests -------------------------------------------------------------------------------
class LoginRequest(Request):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class IssueTicketRequest(Request):
    service: str = Field(min_length=1, max_length=64, description="service code from the catalog")
    priority: Optional[Priority] = Field(default=None, description="a priority group, or null")


class TransferRequest(Request):
    service: str = Field(min_length=1, max_length=64, description="the service the ticket will wait for")


class PauseRequest(Request):
    reason: str = Field(min_length=1, max_length=200, description="why the desk pauses, shown to supervisors")


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
    estimated_wait_s: int
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
    estimated_wait_s: int
    longest_wait_s: int


class Queues(Response):
    services: list[QueueState]


class CatalogService(Response):
    code: str
    name: str
    prefix: str
    target_wait_min: int
    waiting: int
    estimated_wait_s: int


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
