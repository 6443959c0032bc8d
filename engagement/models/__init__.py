from engagement.models.contributions import (
    ActivityType,
    Contribution,
    ContributionState,
    ExpenseLine,
    ExpenseType,
    ImpactStandard,
)
from engagement.models.payments import PaymentPolicy, PaymentRate, RateKind
from engagement.models.studies import (
    RESEARCH_CYCLE_STAGES,
    Invitation,
    Membership,
    Stage,
    Study,
    StudyStatus,
)

__all__ = [
    "RESEARCH_CYCLE_STAGES",
    "ActivityType",
    "Contribution",
    "ContributionState",
    "ExpenseLine",
    "ExpenseType",
    "ImpactStandard",
    "Invitation",
    "Membership",
    "PaymentPolicy",
    "PaymentRate",
    "RateKind",
    "Stage",
    "Study",
    "StudyStatus",
]
