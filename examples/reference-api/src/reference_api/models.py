"""Request and response bodies (pydantic). Responses on hot paths are serialized with orjson straight
from database rows; these models still define the OpenAPI schema, and the schemathesis test checks
that what is sent conforms to it."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from .roles import Role

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=20000)]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,39}$")]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$")]
Team = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Status(str, Enum):
    new = "new"
    open = "open"
    pending = "pending"
    resolved = "resolved"
    closed = "closed"


class Priority(str, Enum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


NUL_MESSAGE = "text must not contain U+0000 (NUL)"
"""PostgreSQL's text cannot hold U+0000: refused as a 422 at the edge instead of failing in the database."""


def has_nul(value: object) -> bool:
    """True when ``value``, a string or a list of strings, contains U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value)


class Strict(BaseModel):
    """Base of every request body: unknown fields and U+0000 in any text are validation errors."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if has_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


class CaseCreate(Strict):
    title: Title
    description: Text = ""
    priority: Priority = Priority.normal
    due_date: dt.date | None = None
    assignee_id: UserId | None = None
    team: Team | None = None
    requester_id: UserId | None = Field(
        default=None, description="The client the case is for; a client creating a case is its requester"
    )
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class CaseUpdate(Strict):
    """Fields to change; absent fields stay as they are, ``null`` clears a nullable field."""

    title: Title | None = None
    description: Text | None = None
    priority: Priority | None = None
    due_date: dt.date | None = None
    assignee_id: UserId | None = None
    team: Team | None = None
    requester_id: UserId | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)


class Case(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    status: Status
    priority: Priority
    due_date: dt.date | None
    assignee_id: str | None
    team: str | None
    requester_id: str | None
    created_by: str
    tags: list[str]
    version: int = Field(description="Increments on every change; the ETag is its quoted value")
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted_at: dt.datetime | None


class CasePage(BaseModel):
    items: list[Case]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last")


class CommentCreate(Strict):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
    internal: bool = Field(default=False, description="Internal comments are never shown to clients")


class Comment(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    author_id: str
    body: str
    internal: bool
    created_at: dt.datetime


class HistoryEntry(BaseModel):
    id: int
    case_id: uuid.UUID
    actor_id: str
    action: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    at: dt.datetime


class Member(BaseModel):
    case_id: uuid.UUID
    user_id: str
    added_by: str
    created_at: dt.datetime


_NEXT = "Pass as `cursor` to get the next page; null on the last"


class CommentPage(BaseModel):
    items: list[Comment]
    next_cursor: str | None = Field(description=_NEXT)


class HistoryPage(BaseModel):
    items: list[HistoryEntry]
    next_cursor: str | None = Field(description=_NEXT)


class MemberPage(BaseModel):
    items: list[Member]
    next_cursor: str | None = Field(description=_NEXT)


class Me(BaseModel):
    sub: str
    role: Role
    username: str | None
    email: str | None


class Health(BaseModel):
    status: str
    detail: str | None = None


class TimeStatus(str, Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"


class TimeEntryCreate(Strict):
    """A finished stretch of work logged by hand (a running timer is started with startTimer)."""

    duration_s: int = Field(ge=1, le=86400)
    started_at: dt.datetime | None = Field(default=None, description="Default: now minus the duration")
    billable: bool = True
    note: Annotated[str, Field(max_length=2000)] = ""


class TimeEntryUpdate(Strict):
    duration_s: int | None = Field(default=None, ge=1, le=86400)
    started_at: dt.datetime | None = None
    billable: bool | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None


class TimerStart(Strict):
    billable: bool = True
    note: Annotated[str, Field(max_length=2000)] = ""


class TimeEntry(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    user_id: str
    started_at: dt.datetime
    duration_s: int | None = Field(description="null while the timer runs")
    billable: bool
    note: str
    status: TimeStatus
    approved_by: str | None
    version: int
    created_at: dt.datetime


class TimeEntryPage(BaseModel):
    items: list[TimeEntry]
    next_cursor: str | None = Field(description=_NEXT)


class UserTotal(BaseModel):
    user_id: str
    total_s: int
    billable_s: int


class CaseTimeTotals(BaseModel):
    case_id: uuid.UUID
    total_s: int
    billable_s: int
    approved_s: int
    by_user: list[UserTotal]


class TimesheetDay(BaseModel):
    date: dt.date
    total_s: int
    billable_s: int


class Timesheet(BaseModel):
    user_id: str
    week: str = Field(description="ISO week, e.g. 2026-W48")
    days: list[TimesheetDay]
    total_s: int
    billable_s: int


AllowedContentType = Literal[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]


class DocumentCreate(Strict):
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")]
    content_type: AllowedContentType
    size_bytes: int = Field(ge=1, description="Exact size; checked against the stored object on confirm")


class Document(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    uploaded_by: str
    filename: str
    content_type: str
    size_bytes: int
    status: str = Field(description="pending until confirmed, then available")
    created_at: dt.datetime
    confirmed_at: dt.datetime | None


class DocumentPage(BaseModel):
    items: list[Document]
    next_cursor: str | None = Field(description=_NEXT)


class UploadTarget(BaseModel):
    method: str = Field(description="POST: a multipart/form-data request to ``url``")
    url: str
    fields: dict[str, str] = Field(
        description="Form fields to send as they are, before the file (the last part, named ``file``)"
    )
    expires_in_s: int


class DocumentUpload(BaseModel):
    document: Document
    upload: UploadTarget


class DownloadLink(BaseModel):
    url: str
    expires_in_s: int
