"""Demo residents and their admissions: invented names, dates, postcodes and NHS numbers (valid
check digits, random), spread over four years at every stage: current residents (with medication
and consents) and discharged ones; a few current residents have an earlier stay."""
from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from keyworker import reference_data as ref
from keyworker.db.caseload import PREFER_NOT_TO_SAY
from keyworker.demo.consents import consent_rows
from keyworker.demo.medication import medication
from keyworker.demo.referrals import admitted_referral
from keyworker.demo.rows import BATCH, YEARS, DemoRun
from keyworker.demo.vocabulary import (
    GIVEN_F,
    GIVEN_M,
    GP_NAMES,
    INWARD_LETTERS,
    OTHER_AUTHORITIES,
    OUTWARD,
    invent_person,
)
from keyworker.ids import new_id
from keyworker.imports.bulk import stamp
from keyworker.residents import format_reference, next_reference_no, search_text_of

# What a key worker typically corrects once the resident has settled in.
UPDATED_FIELDS = [["gp_practice"], ["next_of_kin_phone"], ["next_of_kin_name", "next_of_kin_relationship"],
                  ["preferred_name"], ["disability"], ["religion"]]


def populate(run: DemoRun) -> None:
    """`run.n` residents, about a tenth of them current (at least 15), flushed in batches."""
    rng, n = run.rng, run.n
    with run.book._read() as s:
        ref_no = next_reference_no(s)
    n_current = min(n, max(round(n * 0.1), 15))
    stages = ["current"] * n_current + ["discharged"] * (n - n_current)
    rng.shuffle(stages)
    for i, stage in enumerate(stages, start=1):
        resident(run, ref_no, stage)
        ref_no += 1
        if i % BATCH == 0 or i == n:
            run.flush("residents", i)
            if run.progress and not run.long_history:
                run.progress(i, n)
        run.tick(i, n)


def resident(run: DemoRun, ref_no: int, stage: str) -> None:
    rng = run.rng
    given, family, sex = invent_person(run.rng)
    in_lancs = rng.random() < 0.93
    if in_lancs:
        district = rng.choice(list(OUTWARD))
        outward = rng.choice(OUTWARD[district])
    else:
        district, outward = rng.choice(OTHER_AUTHORITIES)
    postcode = f"{outward} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    if run.long_history:
        episodes = _episodes(run, stage)
        admitted_on = episodes[0]
    elif stage == "current":
        admitted_on = run.today - timedelta(
            days=rng.choice((0, 0, 1)) if rng.random() < 0.04 else rng.randint(2, 25 * 7)
        )
    else:
        admitted_on = run.start + timedelta(
            days=rng.randint(0, max(1, (run.today - run.start).days - 120))
        )
    age = rng.randint(19, 64)
    dob = admitted_on - timedelta(days=age * 365 + rng.randint(0, 364))
    preferred = rng.choice(("Jim", "Mo", "Tom", "Dan", "Gem", "Sam")) if rng.random() < 0.08 else None
    substances = ref.substances()
    primary = rng.choices(
        ["Alcohol", "Heroin", "Crack cocaine", "Powder cocaine", "Cannabis", "Benzodiazepines"],
        [45, 20, 12, 10, 8, 5],
    )[0]
    others = [
        {"substance": s, "route": rng.choice(ref.routes()[:4])}
        for s in rng.sample(substances, rng.choice((0, 0, 1, 2)))
        if s != primary
    ]
    rid = new_id()
    reference = format_reference(ref_no)
    worker = rng.choice(run.workers)
    row = stamp(
        run.book,
        {
            "id": rid,
            "reference": reference,
            "reference_no": ref_no,
            "given_name": given,
            "family_name": family,
            "preferred_name": preferred,
            "search_text": search_text_of(given, family, preferred, reference, postcode),
            "date_of_birth": dob,
            "nhs_number": _nhs_number(rng) if rng.random() < 0.85 else None,
            "sex": sex if rng.random() > 0.05 else PREFER_NOT_TO_SAY,
            **{
                f: _demographic(rng, f)
                for f in (
                    "gender_identity",
                    "ethnicity",
                    "religion",
                    "sexual_orientation",
                    "disability",
                    "marital_status",
                    "nationality",
                )
            },
            "pregnancy": ("Not applicable" if sex == "Male" else _demographic(rng, "pregnancy")),
            "postcode": postcode,
            "district": district,
            "district_in_lancashire": in_lancs,
            "gp_practice": f"{rng.choice(GP_NAMES)} Medical Practice",
            "next_of_kin_name": f"{rng.choice(GIVEN_F + GIVEN_M)} {family}"
            if rng.random() < 0.8
            else None,
            "next_of_kin_relationship": rng.choice(
                ("Mother", "Father", "Sister", "Brother", "Partner", "Friend")
            ),
            "next_of_kin_phone": f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            "next_of_kin_address": None,
            "primary_substance": primary,
            "primary_route": {
                "Alcohol": "Oral",
                "Heroin": rng.choice(("Injected", "Smoked")),
                "Crack cocaine": "Smoked",
                "Powder cocaine": "Sniffed",
                "Cannabis": "Smoked",
                "Benzodiazepines": "Oral",
            }[primary],
            "other_substances": json.dumps(others) if others else None,
            "external_id": None,
            "key_worker_id": worker if stage == "current" else None,
            "created_at": run.at(admitted_on),
            "updated_at": run.at(admitted_on),
        },
    )
    run.residents.append(row)
    if run.long_history:
        _returning(run, row, episodes, stage, worker)
        return
    # A returning resident has an earlier, discharged stay.
    first = True
    if stage == "current" and rng.random() < 0.06 and admitted_on - timedelta(days=400) > run.start:
        earlier = admission(run, rid, given, family, dob, admitted_on - timedelta(days=rng.randint(400, 700)),
                            "discharged", reference=reference, first=True)
        row["created_by"], first = earlier["key_worker_id"], False
    this = admission(run, rid, given, family, dob, admitted_on, stage, worker, reference=reference, first=first)
    if first:
        row["created_by"] = this["key_worker_id"]  # the key worker who admitted them made the record
    if stage == "current":
        medication(run, rid, admitted_on, this["key_worker_id"])
        consent_rows(run, rid, admitted_on)


def admission(
    run: DemoRun,
    rid: str,
    given: str,
    family: str,
    dob: date,
    admitted_on: date,
    stage: str,
    worker: str | None = None,
    *,
    reference: str = "",
    first: bool = True,
) -> dict[str, Any]:
    rng = run.rng
    # With `years`: the full-length stays of a unit's real history (16 weeks to 36, most completed).
    weeks = rng.randint(16, 36) if run.long_history else rng.randint(12, 26)
    if stage == "current":  # still here, so not yet past the planned length
        weeks = max(weeks, (run.today - admitted_on).days // 7 + 1)
    discharged_on = discharge_type = None
    if stage == "discharged":
        if run.long_history and rng.random() < 0.75:
            stay = rng.randint(weeks * 7 - 10, weeks * 7 + 7)  # completed, give or take a week
        else:
            stay = rng.randint(7, weeks * 7 + 14)
        discharged_on = min(admitted_on + timedelta(days=stay), run.today - timedelta(days=1))
        discharge_type = "planned" if stay >= weeks * 7 - 7 or rng.random() < 0.4 else "unplanned"
    referral_id = admitted_referral(run, given, family, dob, rid, admitted_on)
    part_time = rng.random() < 0.05
    row = stamp(
        run.book,
        {
            "resident_id": rid,
            "referral_id": referral_id,
            "admitted_on": admitted_on,
            "setting": rng.choices(
                ["24h_residential", "non_24h_residential", "day_programme"], [70, 20, 10]
            )[0],
            "strand": rng.choices(["level_1", "level_2"], [60, 40])[0],
            "planned_weeks": weeks,
            "key_worker_id": worker or rng.choice(run.workers),
            "part_time": part_time,
            "part_time_notes": "Attends Monday to Wednesday; cares for a parent."
            if part_time
            else None,
            "discharged_on": discharged_on,
            "discharge_type": discharge_type,
            "created_at": run.at(admitted_on),
            "updated_at": run.at(discharged_on or admitted_on),
        },
    )
    row["created_by"] = key_worker = row["key_worker_id"]
    run.admissions.append(row)
    _story(run, row, key_worker, reference, first)
    return row


def _episodes(run: DemoRun, stage: str) -> list[date]:
    """With `years`: the days a resident's stays began, first to last. The longer the unit has been
    open, the more residents have come back (at five years over a quarter, a quarter of those
    twice: 20,000 residents make about 25,000 stays); stays never overlap, and the last one is
    current or ended as `stage` says."""
    rng, years = run.rng, run.years or YEARS
    roll = rng.random()
    returning = min(0.35, 0.055 * years)
    stays = 3 if roll < returning * 0.25 else 2 if roll < returning else 1
    if stage == "current":
        last = run.today - timedelta(days=rng.choice((0, 0, 1)) if rng.random() < 0.04 else rng.randint(2, 25 * 7))
    else:
        last = run.start + timedelta(days=rng.randint(0, max(1, (run.today - run.start).days - 120)))
    days = [last]
    for _ in range(stays - 1):
        # An earlier stay (at most 36 weeks and a fortnight) ended months before the next began.
        earlier = days[0] - timedelta(days=rng.randint(300, 700))
        if earlier < run.start:
            break
        days.insert(0, earlier)
    return days


def _returning(run: DemoRun, row: dict[str, Any], episodes: list[date], stage: str, worker: str) -> None:
    """With `years`: every stay of the resident, the earlier ones ended (discharged)."""
    rid, reference = row["id"], row["reference"]
    given, family, dob = row["given_name"], row["family_name"], row["date_of_birth"]
    this: dict[str, Any] = {}
    for k, day in enumerate(episodes):
        last = k == len(episodes) - 1
        this = admission(run, rid, given, family, dob, day, stage if last else "discharged",
                         worker if last else None, reference=reference, first=k == 0)
        if k == 0:
            row["created_by"] = this["key_worker_id"]  # the key worker who admitted them made the record
    row["created_at"] = row["updated_at"] = run.at(episodes[0])
    if stage == "current":
        medication(run, rid, episodes[-1], this["key_worker_id"])
        consent_rows(run, rid, episodes[-1])


def _story(run: DemoRun, adm: dict[str, Any], key_worker: str, reference: str, first: bool) -> None:
    """The admission as the referrals and residents services audit it, by the key worker; now and
    then a detail of the record put right in the first weeks."""
    story, rid = run.history, adm["resident_id"]
    at = story.minutes(run.at(adm["admitted_on"]), 30)
    if first:
        story.record(at, key_worker, "resident.create", "resident", rid, rid, reference=reference)
    story.record(at + timedelta(minutes=2), key_worker, "admission.create", "admission", adm["id"], rid,
                 referral_id=adm["referral_id"])
    if story.rng.random() < 0.35:
        day = adm["admitted_on"] + timedelta(days=story.rng.randint(2, 20))
        if day < (adm["discharged_on"] or run.today):
            story.record(story.minutes(run.at(day, 11)), key_worker, "resident.update", "resident", rid, rid,
                         fields=story.rng.choice(UPDATED_FIELDS))


def _nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _demographic(rng: random.Random, field: str) -> str | None:
    roll = rng.random()
    if roll < 0.04:
        return None  # not recorded
    if roll < 0.11:
        return PREFER_NOT_TO_SAY
    options = [o for o in ref.demographic_options(field) if o != PREFER_NOT_TO_SAY]
    if (
        field in ("ethnicity", "gender_identity", "sexual_orientation", "nationality", "disability")
        and rng.random() < 0.75
    ):
        return options[0]
    return rng.choice(options)
