"""The discharge reasons list: every reason has its NDTMS code beside it, each path offers its
own, and a broken file is refused naming the file, the entry and the problem."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyworker import discharge_reasons as dr


def test_the_shipped_list_loads_with_a_code_for_every_reason() -> None:
    rows = dr.load()
    assert {r.code for r in rows} >= {"completed_drug_free", "incomplete_dropped_out", "incomplete_client_died",
                                      "transferred_further_treatment"}
    assert all(r.ndtms_code.strip() for r in rows)
    data = json.loads(dr.FILE.read_text())
    assert data["ndtms_codes_checked"] is False and "Reference Data" in data["about"]


def test_each_path_offers_its_own_reasons() -> None:
    planned = {r.code for r in dr.offered("planned")}
    unplanned = {r.code for r in dr.offered("unplanned")}
    assert "completed_drug_free" in planned and "completed_drug_free" not in unplanned
    assert "incomplete_dropped_out" in unplanned and "incomplete_dropped_out" not in planned
    assert "transferred_not_in_custody" in planned & unplanned
    assert dr.reason("completed_drug_free").completed and not dr.reason("incomplete_dropped_out").completed


@pytest.mark.parametrize("content, words", [
    ("not json", "cannot be read as JSON"),
    ('{"reasons": []}', "non-empty list"),
    ('{"reasons": [{"code": "a", "label": "A", "kind": "planned"}]}', 'reason 1: "ndtms_code" is missing'),
    ('{"reasons": [{"code": "a", "label": "A", "ndtms_code": "1", "kind": "sometimes"}]}', '"kind" must be one of'),
    ('{"reasons": [{"code": "a", "label": "A", "ndtms_code": "1", "kind": "planned"},'
     ' {"code": "a", "label": "B", "ndtms_code": "2", "kind": "planned"}]}', "reason 2: code 'a' is used twice"),
])
def test_a_broken_file_says_where_and_what(tmp_path: Path, content: str, words: str) -> None:
    f = tmp_path / "discharge_reasons.json"
    f.write_text(content)
    with pytest.raises(dr.DischargeReasonsError) as e:
        dr.load(f)
    assert "discharge_reasons.json" in str(e.value) and words in str(e.value)
