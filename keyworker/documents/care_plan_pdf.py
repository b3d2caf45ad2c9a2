"""The resident's copy of the Treatment and Recovery Care Plan as a PDF, in the house style.

Section headings and order come from `keyworker.plan_sections`, so the printed plan always has
the sections the contract requires (4.1.4.2, 4.1.5.3). A plan not yet complete is marked DRAFT on
every page and lists what is still missing; the agreement names the version the resident agreed
and says so when the printed version is another."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table, TableStyle

from keyworker.clock import format_date, format_datetime
from keyworker.documents.layout import (
    CONTENT_W,
    MUTED,
    fields,
    grid,
    heading,
    keep,
    letterhead,
    markup,
    para,
    render,
    spacer,
)
from keyworker.plan_sections import (
    DEMOGRAPHIC_FIELDS,
    DOMAINS,
    DOMAINS_LIST,
    FIELDS,
    GOAL_DOMAINS,
    GOAL_STATUSES,
    GOALS,
    SECTIONS,
)
from keyworker.review_schedule import midway_date, planned_end

if TYPE_CHECKING:
    from keyworker.care_plans import CarePlanView, Goal
    from keyworker.unit_profile import UnitProfile


TITLE = "Treatment and Recovery Care Plan"


def build(view: CarePlanView, *, profile: UnitProfile, generated_at: datetime) -> bytes:
    """The unit's letterhead on page 1 and its footer on every page (keyworker.unit_profile)."""
    return render([*letterhead(profile), *_story(view)], title=TITLE, profile=profile, generated_at=generated_at,
                  subject=f"{TITLE}: {view.reference}", running_header=running_header(view),
                  draft=not view.complete)


def running_header(view: CarePlanView) -> str:
    """Whose plan this is, on every page, so a loose page can be put back."""
    return f"{view.resident_name}  ·  {view.reference}"


def _story(view: CarePlanView) -> list[Flowable]:
    story: list[Flowable] = [para(TITLE, "title")]
    v = view.version
    status = "Complete" if view.status == "complete" else "Draft (not yet complete)"
    story.append(fields([
        ("Resident", view.resident_name),
        ("Reference", view.reference),
        ("Admitted", format_date(view.admitted_on)),
        ("Planned length", f"{view.planned_weeks} weeks (mid-way {format_date(midway_date(view.admitted_on, view.planned_weeks))}, "
                           f"planned end {format_date(planned_end(view.admitted_on, view.planned_weeks))})"),
        ("Plan status", status),
        ("Version", f"{v.number}, saved {format_datetime(v.created_at)} by {v.created_by_name or 'unknown'}" if v else "—"),
        ("Reason for this version", v.reason if v and v.reason else None),
    ]))
    if not view.complete:
        story.append(_still_missing(view))
    c = view.content
    last_rows: list[tuple[str, str | None]] = []
    for sec in SECTIONS:
        story.append(heading(sec.heading))
        if sec is SECTIONS[-1] and sec.kind == FIELDS and len(sec.fields) > 1:
            # Its last answer goes to the last page with the agreement, so the signatures never
            # stand on a page of their own.
            answers: list[tuple[str, str | None]] = [(f.label, c.value(sec.key, f.key)) for f in sec.fields]
            story.append(fields(answers[:-1]))
            last_rows = answers[-1:]
            continue
        if sec.kind == GOALS:
            story.append(fields([(f.label, c.value(sec.key, f.key)) for f in sec.fields]))
            story.append(spacer(2))
            if c.goals:
                story.append(grid(["", "Goal (in the resident's words)", "Actions: who, by when", "Status"],
                                  [_goal_row(i, g) for i, g in enumerate(c.goals, 1)], [8, 62, 72, 28]))
                notes = [(f"Goal {i} progress", g.progress_notes) for i, g in enumerate(c.goals, 1) if g.progress_notes]
                if notes:
                    story.append(spacer(2))
                    story.append(fields(notes))
            else:
                story.append(para("No goals recorded yet.", "small"))
        elif sec.kind == FIELDS:
            story.append(fields([(f.label, c.value(sec.key, f.key)) for f in sec.fields]))
        elif sec.kind == DOMAINS:
            rows = []
            for key, label in DOMAINS_LIST.items():
                d = c.domains.get(key)
                if d is None:
                    rows.append([label, "", ""])
                elif d.no_needs_identified:
                    rows.append([label, "No needs identified", d.interventions])
                else:
                    rows.append([label, d.needs, d.interventions])
            story.append(grid(["Domain", "Needs", "Interventions"], rows, [42, 64, 64]))
        elif sec.key == "key_worker":
            story.append(fields([("Key worker", c.value("key_worker", "name"))]))
        elif sec.key == "demographics":
            story.append(fields([(label, c.value("demographics", attr)) for attr, label, _ in DEMOGRAPHIC_FIELDS]))
    story.append(keep(
        *([fields(last_rows)] if last_rows else []),
        heading("Agreement"),
        *_agreement(view),
        spacer(2),
        para("I have read this plan with my key worker, and I understand what is expected of me and "
             "what I can expect from the unit.", "body"),
        _signatures(),
    ))
    return story


def _signatures() -> Table:
    """A line to sign and a line to date for the resident and for the key worker: each dates
    their own signature, and two rows leave room for the plan's end on the same page."""
    label_w, date_w = 48 * mm, 18 * mm
    line_w = (CONTENT_W - label_w - date_w) / 2
    t = Table([[para(who, "label"), "", para("Date", "label"), ""]
               for who in ("Resident's signature", "Key worker's signature")],
              colWidths=[label_w, line_w + 18 * mm, date_w, line_w - 18 * mm], rowHeights=[12 * mm] * 2,
              hAlign="LEFT")
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LINEBELOW", (1, 0), (1, -1), 0.5, MUTED),
        ("LINEBELOW", (3, 0), (3, -1), 0.5, MUTED),
        ("LEFTPADDING", (0, 0), (0, -1), 0),
        ("LEFTPADDING", (2, 0), (2, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def _still_missing(view: CarePlanView) -> Flowable:
    """What must be filled in before the plan can be marked complete, near the top of page 1."""
    if not view.missing:
        return keep(heading("Draft: not yet marked complete", 3),
                    para("Every section is filled in; the plan has not yet been marked complete.", "body"))
    return keep(heading("Draft: still missing", 3),
                para("\n".join(f"• {m.heading}: {m.message}" for m in view.missing), "body"))


def _agreement(view: CarePlanView) -> list[Flowable]:
    """Who agreed which version, and a plain warning when this printout is another version."""
    a, v = view.agreement, view.version
    printed = v.number if v else None
    if a is None:
        return [fields([("Agreed by the resident", "Not yet recorded"),
                        ("Version printed", str(printed) if printed else None)])]
    out: list[Flowable] = [fields([("Agreed on", format_date(a.agreed_on)), ("How", a.method_label),
                                   ("Version agreed", str(a.version_number) if a.version_number else None),
                                   ("Note", a.note)])]
    if a.version_number and printed and printed != a.version_number:
        if printed > a.version_number:
            change = (f"This plan has changed since the resident agreed to it: they agreed version "
                      f"{a.version_number}, and this is version {printed}. Go through the changes with the "
                      "resident and record their agreement to this version.")
        else:
            change = (f"This is version {printed}, an earlier version than the one the resident agreed "
                      f"(version {a.version_number}).")
        out.append(spacer(1))
        out.append(markup(f"<b>{change}</b>", "body"))  # our words and numbers only: no user text
    return out


def _goal_row(i: int, g: Goal) -> list[str | None]:
    actions = "\n".join(f"• {a.action} — {a.who or '?'}, by {format_date(a.by_when) or '?'}" for a in g.actions)
    return [str(i), f"{GOAL_DOMAINS.get(g.domain, g.domain)}: {g.goal}", actions, GOAL_STATUSES.get(g.status, g.status)]
