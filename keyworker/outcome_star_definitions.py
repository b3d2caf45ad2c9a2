"""Outcome Star definitions: which areas a Star scores and the Journey of Change stage bands, read
from JSON files. The Outcomes Star is Triangle's copyright: the default definition
(resources/outcome_stars/drug_alcohol.json) holds only the ten area names and the stage bands, no
scale descriptors. A licensed unit adds its own definition files under
resources/licensed/outcome_stars/ (the same shape, with its `descriptors`); they are read too, and
a licensed file may carry a newer version of the same id.

Each reading records the definition id and version it used, so an old reading is still shown with
the areas it was scored on. A broken file is refused with a message naming the file, the field and
what is wrong (`OutcomeStarDefinitionError`)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_DIR = RESOURCES / "outcome_stars"
LICENSED_DIR = RESOURCES / "licensed" / "outcome_stars"
SCORES = range(1, 11)  # every area is scored 1..10
DEFAULT_ID = "drug_alcohol"


class OutcomeStarDefinitionError(ValueError):
    """A definition file cannot be used; the message names the file, the field and the problem."""


@dataclass(frozen=True)
class Area:
    key: str
    name: str


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    low: int
    high: int

    @property
    def band_text(self) -> str:
        return f"{self.low}–{self.high}"


@dataclass(frozen=True)
class StarDefinition:
    id: str
    name: str
    version: str
    areas: tuple[Area, ...]
    stages: tuple[Stage, ...]
    licence: str = ""
    # area key -> score -> the licensed scale descriptor (empty in the default definition)
    descriptors: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    source: str = ""  # the file's name, for messages

    def stage_for(self, score: int) -> Stage:
        for s in self.stages:
            if s.low <= score <= s.high:
                return s
        raise ValueError(f"{score} is not a score from 1 to 10")

    def area(self, key: str) -> Area | None:
        return next((a for a in self.areas if a.key == key), None)

    def descriptor(self, area_key: str, score: int) -> str:
        return self.descriptors.get(area_key, {}).get(score, "")

    @property
    def title(self) -> str:
        return f"{self.name} (version {self.version})"


def _fail(path: Path, where: str, problem: str) -> OutcomeStarDefinitionError:
    return OutcomeStarDefinitionError(f"{path.name}: {where}: {problem}" if where else f"{path.name}: {problem}")


def _text(path: Path, obj: Mapping[str, Any], name: str, where: str) -> str:
    value = obj.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and name == "version":
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{where}\"{name}\"" if where else f"\"{name}\"", "is missing or empty")
    return value.strip()


def load_file(path: Path) -> StarDefinition:
    """One definition file, checked; a problem raises OutcomeStarDefinitionError naming it."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as e:
        raise _fail(path, "", f"cannot be read ({e.strerror or e})") from e
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise _fail(path, "", f"is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from e
    if not isinstance(data, dict):
        raise _fail(path, "", "must hold one object with \"id\", \"name\", \"version\", \"areas\" and \"stages\"")
    def_id, name, version = _text(path, data, "id", ""), _text(path, data, "name", ""), _text(path, data, "version", "")
    licence = data.get("licence", "")
    if not isinstance(licence, str):
        raise _fail(path, "\"licence\"", "must be text")

    rows = data.get("areas")
    if not isinstance(rows, list) or not rows:
        raise _fail(path, "\"areas\"", "needs a non-empty list of areas, each with a \"key\" and a \"name\"")
    areas: list[Area] = []
    seen: set[str] = set()
    for i, a in enumerate(rows, 1):
        where = f"area {i} "
        if not isinstance(a, dict):
            raise _fail(path, f"area {i}", "must be an object with a \"key\" and a \"name\"")
        key, area_name = _text(path, a, "key", where), _text(path, a, "name", where)
        if key in seen:
            raise _fail(path, f"area {i} \"key\"", f"{key!r} is used twice")
        seen.add(key)
        areas.append(Area(key, area_name))

    rows = data.get("stages")
    if not isinstance(rows, list) or not rows:
        raise _fail(path, "\"stages\"", "needs a non-empty list of stages, each with a \"name\", \"low\" and \"high\"")
    stages: list[Stage] = []
    covered: dict[int, str] = {}
    stage_keys: set[str] = set()
    for i, st in enumerate(rows, 1):
        where = f"stage {i} "
        if not isinstance(st, dict):
            raise _fail(path, f"stage {i}", "must be an object with a \"name\", \"low\" and \"high\"")
        st_name = _text(path, st, "name", where)
        key = st.get("key") or st_name.lower().replace(" ", "_").replace("-", "_")
        if not isinstance(key, str):
            raise _fail(path, f"stage {i} \"key\"", "must be text")
        if key in stage_keys:
            raise _fail(path, f"stage {i} \"key\"", f"{key!r} is used twice")
        stage_keys.add(key)
        bounds = []
        for b in ("low", "high"):
            v = st.get(b)
            if not isinstance(v, int) or isinstance(v, bool) or v not in SCORES:
                raise _fail(path, f"stage {i} \"{b}\"", "must be a whole number from 1 to 10")
            bounds.append(v)
        low, high = bounds
        if low > high:
            raise _fail(path, f"stage {i} ({st_name})", f"\"low\" {low} is above \"high\" {high}")
        for score in range(low, high + 1):
            if score in covered:
                raise _fail(path, f"stage {i} ({st_name})",
                            f"overlaps the stage {covered[score]!r}: both cover the score {score}")
            covered[score] = st_name
        stages.append(Stage(key, st_name, low, high))
    gaps = [n for n in SCORES if n not in covered]
    if gaps:
        raise _fail(path, "\"stages\"", "the bands must cover every score from 1 to 10; not covered: "
                    + ", ".join(str(n) for n in gaps))
    stages.sort(key=lambda s: s.low)

    descriptors: dict[str, dict[int, str]] = {}
    raw_desc = data.get("descriptors", {})
    if raw_desc is None:
        raw_desc = {}
    if not isinstance(raw_desc, dict):
        raise _fail(path, "\"descriptors\"", "must be an object of areas, each an object of scores 1 to 10")
    for area_key, per_score in raw_desc.items():
        if area_key not in seen:
            raise _fail(path, f"\"descriptors\" {area_key!r}", "is not one of the areas' keys")
        if not isinstance(per_score, dict):
            raise _fail(path, f"\"descriptors\" {area_key!r}", "must be an object of scores 1 to 10")
        out: dict[int, str] = {}
        for score_text, words in per_score.items():
            if not str(score_text).isdigit() or int(score_text) not in SCORES:
                raise _fail(path, f"\"descriptors\" {area_key!r} {score_text!r}", "is not a score from 1 to 10")
            if not isinstance(words, str):
                raise _fail(path, f"\"descriptors\" {area_key!r} {score_text!r}", "must be text")
            out[int(score_text)] = words
        descriptors[area_key] = out
    return StarDefinition(def_id, name, version, tuple(areas), tuple(stages), licence, descriptors, path.name)


def _files(dirs: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for d in dirs:
        if d.is_dir():
            out.extend(sorted(p for p in d.glob("*.json") if p.is_file()))
    return out


def load_all(dirs: Iterable[Path] = (DEFAULT_DIR, LICENSED_DIR)) -> tuple[StarDefinition, ...]:
    """Every definition in the folders (the shipped one first, then the unit's licensed ones). Two
    files with the same id and version are refused: a reading must name exactly one."""
    found: dict[tuple[str, str], StarDefinition] = {}
    for path in _files(dirs):
        d = load_file(path)
        if (d.id, d.version) in found:
            raise _fail(path, "\"version\"", f"{d.id!r} version {d.version!r} is already defined in "
                        f"{found[(d.id, d.version)].source}")
        found[(d.id, d.version)] = d
    if not found:
        raise OutcomeStarDefinitionError("No Outcome Star definition was found in "
                                         + " or ".join(str(d) for d in dirs))
    return tuple(found.values())


@cache
def definitions() -> tuple[StarDefinition, ...]:
    return load_all()


def _version_key(v: str) -> tuple[int, ...] | tuple[float]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return (float("inf"),)


def get(def_id: str, version: str | None = None) -> StarDefinition:
    """The definition with this id and version; without a version, its newest."""
    matches = [d for d in definitions() if d.id == def_id and (version is None or d.version == version)]
    if not matches:
        raise KeyError(f"No Outcome Star definition {def_id!r}" + (f" version {version!r}" if version else ""))
    return max(matches, key=lambda d: _version_key(d.version))


def current() -> StarDefinition:
    """The definition new readings use: the newest version of a licensed definition of the
    default id if the unit added one, else the shipped default."""
    return get(DEFAULT_ID)
