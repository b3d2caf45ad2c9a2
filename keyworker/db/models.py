"""ORM models, one module per aggregate; importing this registers them all on Base.metadata."""
from __future__ import annotations

from keyworker.db.base import Base
from keyworker.db.caseload import Admission, Consent, MedicationEvent, Referral, Resident
from keyworker.db.documents import Document
from keyworker.db.foundation import Account, AuditEntry, Setting

__all__ = ["Base", "Account", "AuditEntry", "Setting", "Referral", "Resident", "Admission", "Document",
           "MedicationEvent", "Consent"]
from keyworker.db.care_plans import CarePlan, CarePlanVersion, Review  # noqa: E402,F401  (issue 4)
from keyworker.db.imports import ImportRun  # noqa: E402,F401  (issue 7: resumable, undoable imports)
from keyworker.db.risk import RiskAssessment, RiskAssessmentVersion, RiskReviewPrompt  # noqa: E402,F401  (issue 10)
from keyworker.db.incidents import DaChecklist, Incident, SafeguardingReferral  # noqa: E402,F401  (issue 10)
from keyworker.db.key_work import GroupAttendance, GroupSession, KeyWorkSession, PreAdmissionAssessment  # noqa: E402,F401  (issue 11)
from keyworker.db.notes import CarePlanShare, CaseNote, ContactLog  # noqa: E402,F401  (issue 11, notes)
from keyworker.db.outbox import OutboxAttempt, OutboxDestination, OutboxItem, OutboxRoute  # noqa: E402,F401  (issue 12)
from keyworker.db.discharges import (  # noqa: E402,F401  (issue 13)
    Discharge, DischargeNotification, DischargePlan, FollowUp, FollowUpAttempt, PlacementRisk)
from keyworker.db.outcomes import StarReading, StarScore  # noqa: E402,F401  (issue 14, Outcome Star)
from keyworker.db.top import Top, TopSubstance  # noqa: E402,F401  (issue 14, TOP)
from keyworker.db.surveys import Survey  # noqa: E402,F401  (issue 14, satisfaction surveys)
from keyworker.db.sync import SyncConflict, SyncHead, SyncOp, SyncQuarantine, SyncState  # noqa: E402,F401  (issue 17, sync)
from keyworker.db.sync_decisions import SyncDecision  # noqa: E402,F401  (issue 17, synced conflict decisions)
