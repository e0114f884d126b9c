"""Both engine modules provide what the Engine protocol names, signature for signature."""
import inspect

import pytest

from ops_metrics.engines import rollup, scan
from ops_metrics.engines.base import Engine

OPERATIONS = [name for name, member in vars(Engine).items() if inspect.isfunction(member) and not name.startswith("_")]


def test_the_protocol_names_every_operation_the_reports_call():
    assert sorted(OPERATIONS) == [
        "booking_series", "booking_totals", "complaint_series", "complaint_totals", "staff_totals", "staff_workload",
    ]


@pytest.mark.parametrize("module", [scan, rollup], ids=["scan", "rollup"])
def test_an_engine_module_satisfies_the_protocol(module):
    assert isinstance(module, Engine)
    for name in OPERATIONS:
        declared = inspect.signature(getattr(Engine, name))
        declared = declared.replace(parameters=list(declared.parameters.values())[1:])  # without self
        assert inspect.signature(getattr(module, name)) == declared, name
