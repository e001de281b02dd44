"""The catalogue: every projection, the audit ledger among them, or a loud failure."""

from __future__ import annotations

import importlib
import sys

import pytest

pytestmark = pytest.mark.unit


def test_catalogue_lists_the_audit_ledger_with_the_read_models() -> None:
    from projections.catalogue import all_projections

    names = [p.name for p in all_projections()]
    assert names == ["status", "commitment_ledger", "timeline", "ledger"]


def test_catalogue_raises_import_error_when_the_ledger_cannot_be_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes `import projections.ledger` raise ImportError, as a broken
    # module would; the catalogue must not run on without the audit ledger
    monkeypatch.setitem(sys.modules, "projections.ledger", None)
    monkeypatch.delitem(sys.modules, "projections.catalogue", raising=False)
    with pytest.raises(ImportError):
        importlib.import_module("projections.catalogue").all_projections()
