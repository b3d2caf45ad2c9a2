"""Demo consents: information sharing, referral back to the treatment provider, contacting the
next of kin, each recorded on admission (most given); and NDTMS consent (issue 15), drawn from its
own random stream so the rest of the demo is as it was."""
from __future__ import annotations

import json
import random
from datetime import date, timedelta

from keyworker.demo.rows import DemoRun
from keyworker.imports.bulk import stamp


def consent_rows(run: DemoRun, rid: str, admitted_on: date) -> None:
    rng = run.rng
    for kind in ("information_sharing", "ctp_referral_if_overdose_risk", "contact_next_of_kin"):
        given = rng.random() < 0.9
        parties = (
            ["GP practice", "Community Treatment Provider", "Referring social worker"]
            if kind == "information_sharing" and given
            else []
        )
        row = stamp(
            run.book,
            {
                "resident_id": rid,
                "kind": kind,
                "given": given,
                "parties": json.dumps(parties),
                "recorded_on": admitted_on,
                "recorded_by": rng.choice(run.workers),
                "notes": None,
                "superseded_by_id": None,
                "created_at": run.at(admitted_on),
            },
        )
        row["created_by"] = row["recorded_by"]
        run.consents.append(row)
        run.history.record(run.history.minutes(run.at(admitted_on, 10), 50), row["recorded_by"], "consent.record",
                           "consent", row["id"], rid, kind=kind, given=given)
    own = random.Random(f"ndtms-{rid}")
    given = own.random() < 0.93
    row = stamp(run.book, {"resident_id": rid, "kind": "ndtms", "given": given, "parties": "[]",
                           "recorded_on": admitted_on, "recorded_by": own.choice(run.workers), "notes": None,
                           "superseded_by_id": None, "created_at": run.at(admitted_on)})
    row["created_by"] = row["recorded_by"]
    run.consents.append(row)
    run.history.record(run.at(admitted_on, 10) + timedelta(minutes=55), row["recorded_by"], "consent.record",
                       "consent", row["id"], rid, kind="ndtms", given=given)
