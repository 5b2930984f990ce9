"""What the tenant's policies decide about a sign-in, after the first factor (issue 12).

The journey asks `access_evaluate` once the customer has proved the first factor and before
anything else of the sign-in happens: it blocks the sign-in, or asks for a second factor
(journey's MFA stage), or lets it through. Policies in report-only state are evaluated and
named in the decision (for the sign-in log) but never enforced.

Until conditional access policies exist, nothing is required; an app may still ask for a
second factor itself with `acr_values` (the journey reads that from the auth transaction).
"""

from dataclasses import dataclass
from enum import StrEnum


class RiskLevel(StrEnum):
    """A sign-in's risk, as Entra's ID Protection grades it (protection/risk.py computes it)."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class SignInContext:
    """What a policy may look at: who (the customer's primary key), through which app (its
    client ID; None without an app), from where (the client's address) and how risky."""

    customer_id: int
    client_id: str | None
    address: str
    risk: RiskLevel = RiskLevel.NONE


@dataclass(frozen=True)
class AccessDecision:
    """The outcome: `block` wins over `require_mfa`. `applied` names the enforced policies
    that matched; `report_only` the report-only ones that matched, with what they would have
    done ("block" or "mfa"), for the sign-in log."""

    block: bool = False
    require_mfa: bool = False
    applied: tuple[str, ...] = ()
    report_only: tuple[tuple[str, str], ...] = ()


def access_evaluate(context: SignInContext) -> AccessDecision:
    """The decision of the tenant's policies for this sign-in (call in the tenant's schema)."""
    return AccessDecision()
