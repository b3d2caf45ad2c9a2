"""The planned discharge letter's "Outcome Star and TOP" section, built from the stay's own
readings and TOPs and parsed back with pypdf: the distance travelled per area, the TOP change in
the three scales and in days of use; the radar chart in the PDF is not blank (its blue reading is
painted); with one reading only, no distance; with nothing recorded, no heading at all."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from keyworker import outcome_star_definitions as defs
from keyworker.outcome_star import StarReadingInput
from keyworker.top import SubstanceUse
from tests.unit.test_discharge_letter import text_of, with_treatment
from tests.unit.test_discharge_plans import plan_input, unit  # noqa: F401 - the fixture
from tests.unit.test_top import top_input

KEYS = [a.key for a in defs.current().areas]
FIRST = [2, 3, 4, 2, 3, 2, 1, 3, 5, 2]
LATEST = [6, 7, 6, 5, 4, 2, 3, 4, 8, 1]  # Emotional health no change, Family & relationships -1


def star(book, rid: str, on: date, values: list[int], stage: str = "review"):  # type: ignore[no-untyped-def]
    return book.outcome_star.record(StarReadingInput(resident_id=rid, scores=dict(zip(KEYS, values, strict=True)),
                                                     taken_on=on, stage=stage))


def with_outcomes(worker, rid: str) -> None:  # type: ignore[no-untyped-def]
    star(worker, rid, date(2026, 1, 6), FIRST, "admission")
    star(worker, rid, date(2026, 2, 3), [4, 5, 5, 3, 3, 2, 2, 3, 6, 2])
    worker.discharge_plans.save(plan_input(rid))
    star(worker, rid, date(2026, 3, 27), LATEST, "discharge")
    worker.top.record(top_input(rid, interview_on=date(2026, 1, 7)))  # alcohol 25, opiates 6, cannabis 4 days
    worker.top.record(top_input(rid, stage="review", interview_on=date(2026, 2, 16), psychological_health=11,
                                substances=[SubstanceUse("alcohol", total_days=3)]))
    worker.top.record(top_input(rid, stage="exit", interview_on=date(2026, 3, 27), psychological_health=14,
                                physical_health=15, quality_of_life=6, substances=[]))


def test_the_section_gives_distance_travelled_and_the_top_change(unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    manager, worker, rid, aid = unit
    with_treatment(manager, worker, rid, aid)
    with_outcomes(worker, rid)
    text = text_of(worker.discharge_plans.preview_letter(rid))
    assert "Outcome Star and TOP" in text
    # the section sits after "Goals achieved" and before "Risk at discharge"
    assert text.index("Goals achieved") < text.index("Outcome Star and TOP") < text.index("Risk at discharge")
    assert "3 Outcome Star readings were taken during the stay" in text
    assert "from 27 to 46 (+19)" in text and "8 of 10 areas improved" in text
    # one row per area: name, first, latest, change
    for name, a, b in (("Drug use", 2, 6), ("Alcohol use", 3, 7), ("Offending", 5, 8)):
        assert re.search(rf"{name} {a} {b} \+{b - a}", text), name
    assert re.search(r"Emotional health 2 2 no change", text)
    assert re.search(r"Family & relationships 2 1 -1", text)
    assert "Stuck → Believing" in text  # Drug use 2 → 6
    # TOP: start (07/01) against exit (27/03), not the review in between
    assert "From the start TOP of 07/01/2026 to the exit TOP of 27/03/2026." in text
    assert re.search(r"Psychological health \(0–20\) 8 14 \+6", text)
    assert re.search(r"Physical health \(0–20\) 10 15 \+5", text)
    assert re.search(r"Overall quality of life \(0–20\) 6 6 no change", text)
    assert re.search(r"Alcohol: days used in the past 28 25 0 -25", text)
    assert re.search(r"Opiates: days used in the past 28 6 0 -6", text)
    assert re.search(r"Cannabis: days used in the past 28 4 0 -4", text)
    assert "Crack" not in text  # not used at either TOP


def test_one_reading_and_one_top_show_without_a_change(unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, worker, rid, _ = unit
    star(worker, rid, date(2026, 1, 6), FIRST, "admission")
    worker.top.record(top_input(rid, interview_on=date(2026, 1, 7)))
    worker.discharge_plans.save(plan_input(rid))
    text = text_of(worker.discharge_plans.preview_letter(rid))
    assert "Outcome Star and TOP" in text
    assert "One Outcome Star reading was taken during the stay: 06/01/2026 (admission)." in text
    assert "One TOP was held during the stay: the start TOP of 07/01/2026." in text
    assert "Change" not in text.split("Outcome Star and TOP")[1].split("Risk at discharge")[0]


def test_no_readings_and_no_tops_no_section(unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, worker, rid, _ = unit
    worker.discharge_plans.save(plan_input(rid))
    text = text_of(worker.discharge_plans.preview_letter(rid))
    assert "Outcome Star" not in text and "TOP" not in text.replace("STOP", "")


def test_a_corrected_reading_counts_only_as_its_correction(unit) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _, worker, rid, _ = unit
    first = star(worker, rid, date(2026, 1, 6), FIRST, "admission")
    star(worker, rid, date(2026, 2, 3), LATEST)
    worker.outcome_star.correct(first.id, StarReadingInput(resident_id=rid, scores=dict(zip(KEYS, [1] * 10)),
                                                           taken_on=date(2026, 1, 6), stage="admission"),
                                "Typed the scores of another resident.")
    worker.discharge_plans.save(plan_input(rid))
    text = text_of(worker.discharge_plans.preview_letter(rid))
    assert "2 Outcome Star readings were taken" in text and "from 10 to 46 (+36)" in text


# The latest reading's fill: radar.LATEST (#1f5f9e) at 30% over white paper.
FILL = tuple(round(0.3 * c + 0.7 * 255) for c in (0x1F, 0x5F, 0x9E))


def _near(p: tuple[int, int, int], q: tuple[int, ...], tol: int = 3) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(p, q, strict=True))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) renders the PDF")
def test_the_chart_in_the_letter_is_not_blank(unit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from PIL import Image

    _, worker, rid, _ = unit
    worker.discharge_plans.save(plan_input(rid))
    plain = worker.discharge_plans.preview_letter(rid)
    with_outcomes(worker, rid)
    pdf = worker.discharge_plans.preview_letter(rid)

    def blue_pixels(data: bytes, name: str) -> int:
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / name)], check=True)
        n = 0
        for png in sorted(tmp_path.glob(f"{name}-*.png")):
            img = Image.open(png).convert("RGB")
            n += sum(1 for y in range(0, img.height, 2) for x in range(0, img.width, 2)
                     if _near(img.getpixel((x, y)), FILL))
        return n

    without, with_chart = blue_pixels(plain, "plain"), blue_pixels(pdf, "chart")
    assert without < 50  # a few anti-aliased edges of the letter's own teal headings at most
    assert with_chart > without + 200  # the latest reading, filled
    assert len(PdfReader(io.BytesIO(pdf)).pages) > len(PdfReader(io.BytesIO(plain)).pages)
