"""The data contract (stages/02-data/data-contract.yml) is well formed."""

from pathlib import Path

import yaml

CONTRACT = Path(__file__).resolve().parents[1] / "stages" / "02-data" / "data-contract.yml"


def test_data_contract_names_producer_consumer_and_columns():
    contract = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    assert {"producer", "consumer", "change_notice_days", "columns"} <= set(contract)
    assert isinstance(contract["change_notice_days"], int) and contract["change_notice_days"] > 0
    for column in contract["columns"]:
        assert {"name", "type", "nullable", "owner"} <= set(column), column
