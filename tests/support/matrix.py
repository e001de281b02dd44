"""The principals of the API world in the matrix's column order, the demo's confidential
phrases, and the reader of a matrix table (one line per route, one status per principal)."""

from __future__ import annotations

WHO = [
    "admin",
    "auditor",
    "report_reader",
    "sponsor",
    "sponsor_other",
    "coach_a",
    "coach_b",
    "coach_other",
    "cfo",
    "coo",
    "protagonist_other",
]


SECRETS = ("Feels ambushed", "without fearing ambushes")


def table(text: str) -> list[tuple[str, str, int]]:
    cells = []
    for line in text.strip().splitlines():
        route, *codes = line.split()
        assert len(codes) == len(WHO), route
        cells += [(route, who, int(code)) for who, code in zip(WHO, codes, strict=True)]
    return cells
