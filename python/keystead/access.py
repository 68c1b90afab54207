"""Access control, audit and metrics types of the typed API: grants, policy explanations,
metrics snapshots, audit options and audit-log reports (issue 8).

Like :mod:`keystead.types`, every result is a small frozen object built from the native
module's AWS-shaped dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from .enums import GrantOperation

__all__ = [
    "AuditOptions",
    "AuditReport",
    "AuditProblem",
    "CreateGrantResult",
    "Explanation",
    "Grant",
    "GrantConstraints",
    "KeyLastUsage",
    "MetricsSeries",
    "MetricsSnapshot",
    "PolicyArg",
]

#: A key policy: JSON text, or a mapping that is serialized to JSON.
PolicyArg = Union[str, Mapping[str, Any]]

_DURABILITIES = ("per_record", "batched", "off")


def _policy_text(policy: PolicyArg) -> str:
    if isinstance(policy, str):
        return policy
    if isinstance(policy, Mapping):
        return json.dumps(policy)
    raise TypeError(f"a key policy must be JSON text or a mapping, not {type(policy).__name__}")


@dataclass(frozen=True)
class AuditOptions:
    """How a store opened from a folder writes its audit log (``Keystead(path, audit=...)``).

    ``durability``: ``"batched"`` (default: each event is written before the call returns and
    fsynced within 10 ms), ``"per_record"`` (fsynced before the call returns) or ``"off"``
    (written, left to the kernel to flush). ``hmac_context_values`` logs encryption-context
    values as keyed hashes instead of in the clear.
    """

    durability: str = "batched"
    hmac_context_values: bool = False

    def __post_init__(self) -> None:
        if self.durability not in _DURABILITIES:
            raise ValueError(f"durability must be one of {', '.join(_DURABILITIES)}, not {self.durability!r}")

    @staticmethod
    def _native_args(audit: Union[bool, AuditOptions]) -> Tuple[Optional[str], bool]:
        if audit is True:
            return "batched", False
        if audit is False:
            return None, False
        if isinstance(audit, AuditOptions):
            return audit.durability, audit.hmac_context_values
        raise TypeError(f"audit must be True, False or keystead.AuditOptions, not {type(audit).__name__}")


@dataclass(frozen=True)
class GrantConstraints:
    """A grant's encryption-context constraints: the request's context must contain
    ``encryption_context_subset`` and/or be exactly ``encryption_context_equals``."""

    encryption_context_subset: Optional[Mapping[str, str]] = None
    encryption_context_equals: Optional[Mapping[str, str]] = None

    @classmethod
    def _from_aws(cls, d: Optional[Mapping[str, Any]]) -> Optional[GrantConstraints]:
        if d is None:
            return None
        return cls(d.get("EncryptionContextSubset"), d.get("EncryptionContextEquals"))

    def _native_args(self) -> Tuple[Optional[Dict[str, str]], Optional[Dict[str, str]]]:
        subset, equals = self.encryption_context_subset, self.encryption_context_equals
        return (dict(subset) if subset is not None else None, dict(equals) if equals is not None else None)


@dataclass(frozen=True)
class CreateGrantResult:
    """What :meth:`Keystead.create_grant` returns. The grant takes effect at once; the token
    is not secret (AWS uses it to bridge eventual consistency)."""

    grant_id: str
    grant_token: str = field(repr=False)


@dataclass(frozen=True)
class Grant:
    """One grant of :meth:`Keystead.list_grants` (AWS's ``GrantListEntry``; never its token)."""

    key_id: str
    grant_id: str
    grantee_principal: str
    operations: Tuple[GrantOperation, ...]
    name: Optional[str] = None
    retiring_principal: Optional[str] = field(default=None, repr=False)
    issuing_account: str = field(default="", repr=False)
    creation_date: Optional[datetime] = field(default=None, repr=False)
    constraints: Optional[GrantConstraints] = field(default=None, repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> Grant:
        return cls(
            key_id=d["KeyId"],
            grant_id=d["GrantId"],
            grantee_principal=d["GranteePrincipal"],
            operations=tuple(GrantOperation(op) for op in d["Operations"]),
            name=d.get("Name"),
            retiring_principal=d.get("RetiringPrincipal"),
            issuing_account=d["IssuingAccount"],
            creation_date=d["CreationDate"],
            constraints=GrantConstraints._from_aws(d.get("Constraints")),
        )


@dataclass(frozen=True)
class Explanation:
    """What :meth:`Keystead.explain` answers: the decision (``Allow``, ``ExplicitDeny`` or
    ``ImplicitDeny``), the key-policy statements that decided (Sid, or ``#<index>``) and the
    grants that allow the call when the policy alone does not."""

    decision: str
    allowed: bool
    policy_statements: Tuple[str, ...]
    grant_ids: Tuple[str, ...]

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> Explanation:
        return cls(d["Decision"], d["Allowed"], tuple(d["PolicyStatements"]), tuple(d["GrantIds"]))


@dataclass(frozen=True)
class KeyLastUsage:
    """The last successful use of a key seen by this store handle (and since when it counts)."""

    key_id: str
    operation: str
    timestamp: datetime
    tracking_start_date: datetime = field(repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> KeyLastUsage:
        return cls(d["KeyId"], d["Operation"], d["Timestamp"], d["TrackingStartDate"])


@dataclass(frozen=True)
class MetricsSeries:
    """Calls of one (operation, key, outcome): ``outcome`` is ``ok``, ``client_error``,
    ``denied`` or ``server_error``; ``error_code`` the exception name (empty on success);
    ``cumulative_buckets`` the calls at most each bound of the snapshot's
    ``bucket_bounds_seconds``, then all calls."""

    operation: str
    key_id: Optional[str]
    outcome: str
    error_code: str
    count: int
    sum_seconds: float = field(repr=False)
    cumulative_buckets: Tuple[int, ...] = field(repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> MetricsSeries:
        return cls(
            d["Operation"],
            d["KeyId"],
            d["Outcome"],
            d["ErrorCode"],
            d["Count"],
            d["SumSeconds"],
            tuple(d["CumulativeBuckets"]),
        )


@dataclass(frozen=True)
class MetricsSnapshot:
    """A copy of a store's metrics (shared by every handle narrowed from it): calls by
    operation, key and outcome with latency histograms, and each key's last use.
    :meth:`Keystead.metrics_prometheus` gives the same as Prometheus text."""

    taken_at: datetime
    since: datetime
    bucket_bounds_seconds: Tuple[float, ...] = field(repr=False)
    series: Tuple[MetricsSeries, ...] = field(repr=False)
    last_usage: Tuple[KeyLastUsage, ...] = field(repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> MetricsSnapshot:
        return cls(
            d["TakenAt"],
            d["Since"],
            tuple(d["BucketBoundsSeconds"]),
            tuple(MetricsSeries._from_aws(s) for s in d["Series"]),
            tuple(KeyLastUsage._from_aws(u) for u in d["LastUsage"]),
        )

    def count(
        self,
        operation: Optional[str] = None,
        *,
        key_id: Optional[str] = None,
        outcome: Optional[str] = None,
        error_code: Optional[str] = None,
    ) -> int:
        """The number of calls matching every given filter (all calls without filters)."""
        return sum(
            s.count
            for s in self.series
            if (operation is None or s.operation == operation)
            and (key_id is None or s.key_id == key_id)
            and (outcome is None or s.outcome == outcome)
            and (error_code is None or s.error_code == error_code)
        )


@dataclass(frozen=True)
class AuditProblem:
    """One problem :meth:`Keystead.verify_audit_log` found (``kind`` names it, e.g. ``Edited``,
    ``ChainBroken``, ``BadSignature``, ``MissingSegment``)."""

    kind: str
    message: str
    file: str = field(repr=False)
    line: Optional[int] = field(default=None, repr=False)


@dataclass(frozen=True)
class AuditReport:
    """What :meth:`Keystead.verify_audit_log` found: counts, problems and notes."""

    valid: bool
    records: int
    events: int
    checkpoints: int
    problems: Tuple[AuditProblem, ...] = ()
    notes: Tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def _from_aws(cls, d: Mapping[str, Any]) -> AuditReport:
        return cls(
            valid=d["Valid"],
            records=d["Records"],
            events=d["Events"],
            checkpoints=d["Checkpoints"],
            problems=tuple(AuditProblem(p["Kind"], p["Message"], p["File"], p.get("Line")) for p in d["Problems"]),
            notes=tuple(d["Notes"]),
        )
