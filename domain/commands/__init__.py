"""trustpath's commands: one frozen dataclass per action of domain/README.md.

Each is declared once, with its arguments and their defaults, and runs itself on the
`Engagement` through one typed method; `Trustpath.execute` runs any of them and returns a
`Receipt`. Adding a command means one dataclass here, one method on the aggregate and one
route line in `api/`.

    lifecycle      OpenEngagement, PauseEngagement, ResumeEngagement, RequestTermination,
                   CompleteEngagement, CloseEarly, HoldFollowUp
    parties        SignAgreement, EnrolProtagonist, AssignCoach, ReassignCoach, GiveConsent,
                   WithdrawConsent, ExecuteErasure
    individual     HoldIndividualSession, DeclareIntention, ShareIntention, AssessTrust
    relationship   HoldRelationshipSession, RecordPresenceSetback
    commitments    MakeCommitment, HonourCommitment, BreakCommitment, WithdrawCommitment,
                   RenegotiateCommitment
"""

from domain.commands.base import EngagementCommand, NewItem
from domain.commands.commitments import (
    BreakCommitment,
    HonourCommitment,
    MakeCommitment,
    RenegotiateCommitment,
    WithdrawCommitment,
)
from domain.commands.individual import (
    AssessTrust,
    DeclareIntention,
    HoldIndividualSession,
    ShareIntention,
)
from domain.commands.lifecycle import (
    CloseEarly,
    CompleteEngagement,
    HoldFollowUp,
    OpenEngagement,
    PauseEngagement,
    RequestTermination,
    ResumeEngagement,
)
from domain.commands.parties import (
    AssignCoach,
    EnrolProtagonist,
    ExecuteErasure,
    GiveConsent,
    ReassignCoach,
    SignAgreement,
    WithdrawConsent,
)
from domain.commands.relationship import HoldRelationshipSession, RecordPresenceSetback

ENGAGEMENT_COMMANDS: tuple[type[EngagementCommand], ...] = (
    SignAgreement,
    EnrolProtagonist,
    AssignCoach,
    ReassignCoach,
    GiveConsent,
    WithdrawConsent,
    HoldIndividualSession,
    DeclareIntention,
    ShareIntention,
    AssessTrust,
    HoldRelationshipSession,
    RecordPresenceSetback,
    MakeCommitment,
    HonourCommitment,
    BreakCommitment,
    WithdrawCommitment,
    RenegotiateCommitment,
    PauseEngagement,
    ResumeEngagement,
    RequestTermination,
    CompleteEngagement,
    CloseEarly,
    HoldFollowUp,
    ExecuteErasure,
)
"""Every command on an existing engagement (all but `OpenEngagement`)."""

__all__ = [
    "ENGAGEMENT_COMMANDS",
    "AssessTrust",
    "AssignCoach",
    "BreakCommitment",
    "CloseEarly",
    "CompleteEngagement",
    "DeclareIntention",
    "EngagementCommand",
    "EnrolProtagonist",
    "ExecuteErasure",
    "GiveConsent",
    "HoldFollowUp",
    "HoldIndividualSession",
    "HoldRelationshipSession",
    "HonourCommitment",
    "MakeCommitment",
    "NewItem",
    "OpenEngagement",
    "PauseEngagement",
    "ReassignCoach",
    "RecordPresenceSetback",
    "RenegotiateCommitment",
    "RequestTermination",
    "ResumeEngagement",
    "ShareIntention",
    "SignAgreement",
    "WithdrawCommitment",
    "WithdrawConsent",
]
