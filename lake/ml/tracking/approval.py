"""SageMaker-style approval of model versions, kept as model-version tags.

Rules (checked by :func:`check_transition`):

- A new version starts ``PendingManualApproval``.
- ``PendingManualApproval`` → ``Approved`` (comment optional) or ``Rejected`` (comment required).
- ``Approved`` → ``Rejected`` revokes an approval; it needs a comment saying why.
- ``Rejected`` → ``Approved`` is a re-approval; it needs a comment saying what changed. The
  rejection stays in the history.
- Nothing moves back to ``PendingManualApproval``.
- Asking for the status a version already has changes nothing and records nothing.

Every change records who, when (UTC, ISO 8601) and the comment, and appends to a history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from lake.errors import InvalidOptionError
from lake.ml.errors import ApprovalTransitionError

__all__ = ["Approval", "ApprovalEvent", "ApprovalStatus", "check_transition", "utc_now"]

STATUS_TAG = "lakeforge.approval.status"
BY_TAG = "lakeforge.approval.by"
AT_TAG = "lakeforge.approval.at"
COMMENT_TAG = "lakeforge.approval.comment"
HISTORY_TAG = "lakeforge.approval.history"
_HISTORY_LIMIT = 100


class ApprovalStatus(StrEnum):
    """SageMaker's ``ModelApprovalStatus`` values."""

    PENDING = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"

    @classmethod
    def parse(cls, value: str | ApprovalStatus) -> ApprovalStatus:
        if isinstance(value, ApprovalStatus):
            return value
        for status in cls:
            if str(value).lower() in (status.value.lower(), status.name.lower()):
                return status
        raise InvalidOptionError(
            option="approval status", value=value, expected=", ".join(s.value for s in cls)
        )

    def __str__(self) -> str:
        return self.value


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ApprovalEvent:
    """One approval change."""

    status: ApprovalStatus
    by: str
    at: str
    comment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "by": self.by, "at": self.at, "comment": self.comment}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApprovalEvent:
        return cls(ApprovalStatus.parse(data["status"]), str(data["by"]), str(data["at"]), data.get("comment"))


@dataclass(frozen=True)
class Approval:
    """A version's current approval and the changes that led to it (oldest first)."""

    status: ApprovalStatus
    by: str | None = None
    at: str | None = None
    comment: str | None = None
    history: tuple[ApprovalEvent, ...] = field(default=())

    @classmethod
    def initial(cls, by: str) -> Approval:
        event = ApprovalEvent(ApprovalStatus.PENDING, by, utc_now(), None)
        return cls(event.status, event.by, event.at, None, (event,))

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Approval:
        """The approval recorded in ``tags``; a version without any is pending."""
        status = ApprovalStatus.parse(tags.get(STATUS_TAG, ApprovalStatus.PENDING.value))
        history = tuple(ApprovalEvent.from_dict(e) for e in json.loads(tags.get(HISTORY_TAG) or "[]"))
        return cls(status, tags.get(BY_TAG), tags.get(AT_TAG), tags.get(COMMENT_TAG) or None, history)

    def to_tags(self) -> dict[str, str]:
        history = [e.to_dict() for e in self.history[-_HISTORY_LIMIT:]]
        return {
            STATUS_TAG: self.status.value,
            BY_TAG: self.by or "",
            AT_TAG: self.at or "",
            COMMENT_TAG: self.comment or "",
            HISTORY_TAG: json.dumps(history, separators=(",", ":")),
        }

    def moved_to(self, status: ApprovalStatus, by: str, comment: str | None) -> Approval:
        event = ApprovalEvent(status, by, utc_now(), comment)
        return Approval(status, by, event.at, comment, (*self.history, event))

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "by": self.by,
            "at": self.at,
            "comment": self.comment,
            "history": [e.to_dict() for e in self.history],
        }


def check_transition(
    name: str, version: int, current: ApprovalStatus, requested: ApprovalStatus, comment: str | None
) -> bool:
    """True if the change must be recorded, False for a no-op; raises when the rules forbid it."""
    if requested is current:
        return False

    def refuse(rule: str) -> ApprovalTransitionError:
        return ApprovalTransitionError(
            name=name, version=version, current=current.value, requested=requested.value, rule=rule
        )

    has_comment = bool(comment and comment.strip())
    if requested is ApprovalStatus.PENDING:
        raise refuse("a decided version never goes back to review; approve or reject it instead")
    if requested is ApprovalStatus.REJECTED and not has_comment:
        raise refuse("a rejection needs a comment saying why")
    if current is ApprovalStatus.REJECTED and requested is ApprovalStatus.APPROVED and not has_comment:
        raise refuse("re-approving a rejected version needs a comment saying what changed")
    return True
