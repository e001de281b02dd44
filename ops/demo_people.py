"""The demo's people: one console sign-in per role, with fixed names and passwords.

`trustpath serve --demo` (`make run`) adds each as a principal of the demo engagement it
has just played and prints them; the browser tests sign in with this table. These
passwords are public: they exist for the demo store only.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.console.accounts import Accounts
from api.principals import PrincipalStore
from ops.demo import DemoRun


@dataclass(frozen=True)
class DemoPerson:
    name: str
    password: str
    role: str
    subject: str
    """The subject id, or `protagonist:<label>` for one of the demo's protagonists."""
    who: str

    def subject_in(self, run: DemoRun) -> str:
        kind, _, label = self.subject.partition(":")
        return run.protagonists[label] if kind == "protagonist" and label else self.subject


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("admin", "admin-demo-password", "admin", "", "the practice's administrator"),
    DemoPerson("coach-amelie", "amelie-demo-password", "coach", "coach-amelie", "Claire's coach"),
    DemoPerson("coach-bruno", "bruno-demo-password", "coach", "coach-bruno", "Omar's coach"),
    DemoPerson(
        "claire", "claire-demo-password", "protagonist", "protagonist:cfo", "Claire Martin, CFO"
    ),
    DemoPerson("omar", "omar-demo-password", "protagonist", "protagonist:coo", "Omar Haddad, COO"),
    DemoPerson("sponsor", "sponsor-demo-password", "sponsor", "norwind-hr", "Norwind HR"),
    DemoPerson("auditor", "auditor-demo-password", "auditor", "", "an external auditor"),
)


def person(name: str) -> DemoPerson:
    return next(p for p in DEMO_PEOPLE if p.name == name)


def add_demo_people(store: PrincipalStore, accounts: Accounts, run: DemoRun) -> None:
    """Add every demo person as a principal with their password; a person of an earlier
    demo run on this store (the same name) is revoked first: the name now means this run's."""
    for demo in DEMO_PEOPLE:
        earlier = accounts.holder(demo.name)
        if earlier is not None:
            store.revoke(earlier)
            accounts.forget(earlier)
        principal, _token = store.add(demo.role, demo.name, demo.subject_in(run))
        accounts.set_password(principal, demo.password)
