"""The method's rules as pure functions: plain values in, plain values out.

No aggregate, no store, no clock: the aggregate (`domain.engagement`), the projections and
the API call these same functions on whatever state they hold, so a rule is written once.

    progress      the phase, the gate, the next challenge, the minimums, the next step
    parties       who the parties of an engagement are (what "who may see what" needs)
    who_may_do    which actor may run which action ("who may do what")
    commitment    a commitment's states (`CommitmentState`)

A refusal is returned as the domain error naming the broken rule (`*_refusal`), so a
caller may raise it, show it or count it; `check_*` raises it.
"""
