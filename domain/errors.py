"""Every error the domain raises, grouped by what the caller can do about it.

Each class's docstring is one line saying when it is raised; the API shows it as the
problem's title, and the class name is the problem's type.

    TrustpathError
    ├── InvalidValueError            fix the input (422, naming the field when known)
    │   ├── MalformedTextError       control characters, lone surrogates, too long
    │   ├── OccurredOutOfRangeError  outside the times trustpath records
    │   ├── OccurredInFutureError
    │   └── OccurredBeforeOpeningError
    ├── NotFoundError                check the identifier (404)
    │   ├── EngagementNotFoundError, ProtagonistNotFoundError, CoachNotFoundError
    │   └── SessionNotFoundError, CommitmentNotFoundError, IntentionNotFoundError
    ├── ActionNotAllowedError        who may do what: this actor may not do this (403)
    │   ├── NotTheProtagonistsCoachError
    │   └── ConsentNotByProtagonistOrOwnCoachError
    ├── ConcurrentUpdateError        reload and retry (409)
    │   └── VersionMismatchError     not at the version the client expected (412)
    └── RuleBrokenError              the method forbids it now (409, type = the rule)
        └── AgreementNotSignedError, ConsentNotGivenError, ... (see below)

    ConfigurationError               not a request's fault: the process cannot start
                                     (raised by `ops.config` and the ledger's key loading)
"""

from __future__ import annotations


class TrustpathError(Exception):
    """Base class of every error trustpath raises on purpose."""

    @property
    def rule(self) -> str:
        """The broken rule's name, used as the problem type."""
        return type(self).__name__

    @property
    def title(self) -> str:
        """The rule in one line (the class docstring)."""
        return (type(self).__doc__ or type(self).__name__).strip().splitlines()[0]


# -- fix the input ----------------------------------------------------------------------


class InvalidValueError(TrustpathError, ValueError):
    """A value is malformed: unknown name, out of range, empty, or badly typed."""

    default_field = ""

    def __init__(self, message: str = "", field: str = "") -> None:
        super().__init__(message)
        self.field = field or self.default_field
        """The command argument at fault ("" when the message names it)."""


class MalformedTextError(InvalidValueError):
    """A text holds characters that cannot be stored or shown (control characters other
    than tab and line breaks, lone surrogates, noncharacters) or is too long."""


class OccurredOutOfRangeError(InvalidValueError):
    """`occurred_at` lies outside the times trustpath records (from 1970 to 9000, UTC)."""

    default_field = "occurred_at"


class OccurredInFutureError(InvalidValueError):
    """`occurred_at` is in the future."""

    default_field = "occurred_at"


class OccurredBeforeOpeningError(InvalidValueError):
    """`occurred_at` is before the engagement was opened."""

    default_field = "occurred_at"


# -- check the identifier ---------------------------------------------------------------


class NotFoundError(TrustpathError, LookupError):
    """Something named in the command does not exist."""


class EngagementNotFoundError(NotFoundError):
    """No engagement has this id."""


class ProtagonistNotFoundError(NotFoundError):
    """No protagonist of this engagement has this id."""


class CoachNotFoundError(NotFoundError):
    """No coach of this engagement has this id."""


class SessionNotFoundError(NotFoundError):
    """No session of this engagement has this id."""


class CommitmentNotFoundError(NotFoundError):
    """No commitment of this engagement has this id."""


class IntentionNotFoundError(NotFoundError):
    """The protagonist has not declared an intention yet."""


# -- who may do what, and concurrency -------------------------------------------------


class ActionNotAllowedError(TrustpathError, PermissionError):
    """The actor's role or relation to the engagement does not allow this action."""


class NotTheProtagonistsCoachError(ActionNotAllowedError):
    """Only the protagonist's own coach may act in their individual space."""


class ConsentNotByProtagonistOrOwnCoachError(ActionNotAllowedError):
    """Consent is given or withdrawn by the protagonist, or recorded by their own coach."""


class ConcurrentUpdateError(TrustpathError):
    """The engagement changed since it was read; reload and retry."""


class VersionMismatchError(ConcurrentUpdateError):
    """The engagement is not at the version the client expected (If-Match)."""


# -- rules of the method ----------------------------------------------------------------


class RuleBrokenError(TrustpathError):
    """A rule of the method forbids this command in the engagement's current state."""


class IdempotencyKeyReusedError(RuleBrokenError):
    """The idempotency key was already used for a different command."""


class AgreementNotSignedError(RuleBrokenError):
    """No session may be held before the coaching agreement is signed."""


class AgreementAlreadySignedError(RuleBrokenError):
    """The coaching agreement of this engagement is already signed."""


class ConsentNotGivenError(RuleBrokenError):
    """The protagonist has not given (or has withdrawn) consent to coaching."""


class EngagementPausedError(RuleBrokenError):
    """No session or commitment while the engagement is paused."""


class EngagementNotPausedError(RuleBrokenError):
    """Only a paused engagement can be resumed."""


class EngagementEndedError(RuleBrokenError):
    """Nothing more happens after termination was requested, completion or closure."""


class FollowUpBeforeEndError(RuleBrokenError):
    """A follow-up is held only after the engagement has ended."""


class NotEnoughProtagonistsError(RuleBrokenError):
    """An engagement needs at least two protagonists before its gate."""


class ProtagonistAlreadyEnrolledError(RuleBrokenError):
    """This protagonist is already enrolled in the engagement."""


class EnrolmentAfterGateError(RuleBrokenError):
    """Protagonists are enrolled before the first relationship session."""


class CoachNotAssignedError(RuleBrokenError):
    """The protagonist has no individual coach yet."""


class CoachAlreadyAssignedError(RuleBrokenError):
    """The protagonist already has a coach; reassign instead."""


class IndividualSessionsMissingError(RuleBrokenError):
    """Every protagonist needs an individual session before the first relationship session."""


class IntentionsNotDeclaredError(RuleBrokenError):
    """Every protagonist needs a current declared intention before the first relationship
    session."""


class IntentionNotSharedError(RuleBrokenError):
    """Only an intention that was declared can be shared."""


class ChallengeNotRelationalError(RuleBrokenError):
    """A relationship session explores one of the policy's relational challenges."""


class ChallengeOutOfOrderError(RuleBrokenError):
    """A relationship session cannot skip ahead of the policy's order of challenges."""


class ProtagonistAbsentError(RuleBrokenError):
    """A relationship session needs every protagonist present; record a presence setback."""


class NobodyAbsentError(RuleBrokenError):
    """A presence setback names at least one absent protagonist."""


class SessionNotRelationshipError(RuleBrokenError):
    """Commitments come from a held relationship session."""


class CommitmentOwnersInvalidError(RuleBrokenError):
    """An individual commitment has one owner, a group commitment several."""


class CommitmentSettledError(RuleBrokenError):
    """Honoured, broken, withdrawn and renegotiated commitments are final."""


class OwnerAssessedAloneError(RuleBrokenError):
    """A commitment's honouring is assessed by a coach or the parties, never the owner
    alone."""


class MinimumsNotMetError(RuleBrokenError):
    """Completion needs the policy's minimums; otherwise close early with a reason."""


class AlreadyErasedError(RuleBrokenError):
    """The protagonist's confidential content was already erased."""


class ContentErasedError(RuleBrokenError):
    """New confidential content cannot be recorded for an erased protagonist."""


# -- not a request's fault --------------------------------------------------------------


class ConfigurationError(Exception):
    """The configuration is missing or malformed; trustpath cannot start."""
