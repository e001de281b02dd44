"""Who may do what: which actor may run which action on an engagement, as one table.

    action                                                    who
    open, sign_agreement, enrol_protagonist, assign_coach,    the practice admin
      reassign_coach, pause, resume, complete, close_early,
      execute_erasure (on the protagonist's request)
    give_consent, withdraw_consent                            the protagonist, or their own
                                                              coach (recording it in writing)
    hold_individual_session, declare_intention, assess_trust  that protagonist's own coach
    share_intention                                           the protagonist, or their own
                                                              coach on their instruction
    hold_relationship_session, record_presence_setback,       a coach of the engagement
      make / honour / break / withdraw /
      renegotiate_commitment, hold_follow_up
    request_termination                                       any party: a protagonist,
                                                              a coach, the sponsor

`may_do_refusal(action, actor, coach_of, sponsor, protagonist_id)` answers with the error
naming the refusal (None when allowed); the aggregate raises it before any other rule of
the command. An action about one protagonist names it; an unknown one is refused as not
found, after the actor's role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

from domain import errors
from domain.values import Actor, Role


class Action(StrEnum):
    """What an actor may do to an engagement: the aggregate's command of the same name."""

    OPEN = "open"
    SIGN_AGREEMENT = "sign_agreement"
    ENROL_PROTAGONIST = "enrol_protagonist"
    ASSIGN_COACH = "assign_coach"
    REASSIGN_COACH = "reassign_coach"
    GIVE_CONSENT = "give_consent"
    WITHDRAW_CONSENT = "withdraw_consent"
    EXECUTE_ERASURE = "execute_erasure"
    HOLD_INDIVIDUAL_SESSION = "hold_individual_session"
    DECLARE_INTENTION = "declare_intention"
    SHARE_INTENTION = "share_intention"
    ASSESS_TRUST = "assess_trust"
    HOLD_RELATIONSHIP_SESSION = "hold_relationship_session"
    RECORD_PRESENCE_SETBACK = "record_presence_setback"
    MAKE_COMMITMENT = "make_commitment"
    HONOUR_COMMITMENT = "honour_commitment"
    BREAK_COMMITMENT = "break_commitment"
    WITHDRAW_COMMITMENT = "withdraw_commitment"
    RENEGOTIATE_COMMITMENT = "renegotiate_commitment"
    PAUSE = "pause"
    RESUME = "resume"
    REQUEST_TERMINATION = "request_termination"
    COMPLETE = "complete"
    CLOSE_EARLY = "close_early"
    HOLD_FOLLOW_UP = "hold_follow_up"


class Who(StrEnum):
    """Who may run an action, in the method's words."""

    ADMIN = "the practice admin"
    PROTAGONIST_OR_OWN_COACH = "the protagonist, or their own coach recording their consent"
    OWN_COACH = "that protagonist's own coach"
    PROTAGONIST_OR_OWN_COACH_ON_INSTRUCTION = "the protagonist, or their own coach"
    ENGAGEMENT_COACH = "a coach of the engagement"
    ANY_PARTY = "any party: a protagonist, a coach, the sponsor"


WHO_MAY_DO: Mapping[Action, Who] = {
    Action.OPEN: Who.ADMIN,
    Action.SIGN_AGREEMENT: Who.ADMIN,
    Action.ENROL_PROTAGONIST: Who.ADMIN,
    Action.ASSIGN_COACH: Who.ADMIN,
    Action.REASSIGN_COACH: Who.ADMIN,
    Action.GIVE_CONSENT: Who.PROTAGONIST_OR_OWN_COACH,
    Action.WITHDRAW_CONSENT: Who.PROTAGONIST_OR_OWN_COACH,
    Action.EXECUTE_ERASURE: Who.ADMIN,
    Action.HOLD_INDIVIDUAL_SESSION: Who.OWN_COACH,
    Action.DECLARE_INTENTION: Who.OWN_COACH,
    Action.SHARE_INTENTION: Who.PROTAGONIST_OR_OWN_COACH_ON_INSTRUCTION,
    Action.ASSESS_TRUST: Who.OWN_COACH,
    Action.HOLD_RELATIONSHIP_SESSION: Who.ENGAGEMENT_COACH,
    Action.RECORD_PRESENCE_SETBACK: Who.ENGAGEMENT_COACH,
    Action.MAKE_COMMITMENT: Who.ENGAGEMENT_COACH,
    Action.HONOUR_COMMITMENT: Who.ENGAGEMENT_COACH,
    Action.BREAK_COMMITMENT: Who.ENGAGEMENT_COACH,
    Action.WITHDRAW_COMMITMENT: Who.ENGAGEMENT_COACH,
    Action.RENEGOTIATE_COMMITMENT: Who.ENGAGEMENT_COACH,
    Action.PAUSE: Who.ADMIN,
    Action.RESUME: Who.ADMIN,
    Action.REQUEST_TERMINATION: Who.ANY_PARTY,
    Action.COMPLETE: Who.ADMIN,
    Action.CLOSE_EARLY: Who.ADMIN,
    Action.HOLD_FOLLOW_UP: Who.ENGAGEMENT_COACH,
}
"""Every action and who may run it (a test checks that no action is left out)."""

Refusal = errors.TrustpathError | None
_Rule = Callable[[Actor, Mapping[str, str], str, str], Refusal]


def may_do_refusal(
    action: Action,
    actor: Actor,
    coach_of: Mapping[str, str],
    sponsor: str = "",
    protagonist_id: str = "",
) -> Refusal:
    """Why `actor` may not run `action` (`coach_of`: protagonist id -> coach id, "" when
    none yet), or None when it may."""
    if action is Action.OPEN and actor.role != Role.ADMIN:
        return errors.ActionNotAllowedError("only admin may open an engagement")
    return _RULES[WHO_MAY_DO[action]](actor, coach_of, sponsor, protagonist_id)


def check_may_do(
    action: Action,
    actor: Actor,
    coach_of: Mapping[str, str],
    sponsor: str = "",
    protagonist_id: str = "",
) -> None:
    """Raise why `actor` may not run `action`, if it may not."""
    refusal = may_do_refusal(action, actor, coach_of, sponsor, protagonist_id)
    if refusal is not None:
        raise refusal


def _role(actor: Actor, role: Role) -> Refusal:
    return None if actor.role == role else errors.ActionNotAllowedError(f"only {role} may do this")


def _known(coach_of: Mapping[str, str], protagonist_id: str) -> Refusal:
    if protagonist_id in coach_of:
        return None
    return errors.ProtagonistNotFoundError(f"no protagonist {protagonist_id!r} in this engagement")


def _admin(actor: Actor, coach_of: Mapping[str, str], sponsor: str, pid: str) -> Refusal:
    return _role(actor, Role.ADMIN)


def _own_coach(actor: Actor, coach_of: Mapping[str, str], sponsor: str, pid: str) -> Refusal:
    refusal = _role(actor, Role.COACH) or _known(coach_of, pid)
    if refusal is None and coach_of[pid] != actor.id:
        return errors.NotTheProtagonistsCoachError(
            f"coach {actor.id!r} is not the coach of protagonist {pid!r}"
        )
    return refusal


def _self_or_own_coach(
    actor: Actor, coach_of: Mapping[str, str], sponsor: str, pid: str
) -> Refusal:
    refusal = _known(coach_of, pid)
    if refusal is not None or (actor.role == Role.PROTAGONIST and actor.id == pid):
        return refusal
    return _own_coach(actor, coach_of, sponsor, pid)


def _consenting(actor: Actor, coach_of: Mapping[str, str], sponsor: str, pid: str) -> Refusal:
    refusal = _known(coach_of, pid)
    if refusal is not None or (actor.role == Role.PROTAGONIST and actor.id == pid):
        return refusal
    if actor.role == Role.COACH and coach_of[pid] and actor.id == coach_of[pid]:
        return None
    return errors.ConsentNotByProtagonistOrOwnCoachError(
        f"{actor.role} {actor.id!r} may not give or withdraw consent for protagonist {pid!r}"
    )


def _engagement_coach(actor: Actor, coach_of: Mapping[str, str], sponsor: str, pid: str) -> Refusal:
    refusal = _role(actor, Role.COACH)
    if refusal is None and actor.id not in {c for c in coach_of.values() if c}:
        return errors.ActionNotAllowedError("only a coach of this engagement may do this")
    return refusal


def _any_party(actor: Actor, coach_of: Mapping[str, str], sponsor: str, pid: str) -> Refusal:
    parties = {
        Role.PROTAGONIST: set(coach_of),
        Role.COACH: {c for c in coach_of.values() if c},
        Role.SPONSOR: {sponsor},
    }
    if actor.id in parties.get(Role(actor.role), set()):
        return None
    return errors.ActionNotAllowedError(
        "termination is requested by a party: a protagonist, a coach or the sponsor"
    )


_RULES: Mapping[Who, _Rule] = {
    Who.ADMIN: _admin,
    Who.PROTAGONIST_OR_OWN_COACH: _consenting,
    Who.OWN_COACH: _own_coach,
    Who.PROTAGONIST_OR_OWN_COACH_ON_INSTRUCTION: _self_or_own_coach,
    Who.ENGAGEMENT_COACH: _engagement_coach,
    Who.ANY_PARTY: _any_party,
}
