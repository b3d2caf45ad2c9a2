"""The facade for one open unit database (as Anki's Collection): built once by main.py or a
test and passed in, never a global. Services hang off it: `casebook.accounts`, `.audit` ..."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from keyworker import backup as backup_mod
from keyworker.clock import Clock, SystemClock
from keyworker.db import migrate
from keyworker.db.engine import (
    DRIVER_ERRORS,
    SQLITE_HEADER,
    make_engine,
    read_only_engine,
    translate_db_error,
)
from keyworker.db.foundation import Account
from keyworker.device import device_id as default_device_id
from keyworker.errors import (
    AccountDisabled,
    AuthenticationFailed,
    DatabaseError,
    KeyworkerError,
    StorageError,
    UnitLocked,
    VaultError,
)
from keyworker.security import audit as audit_chain
from keyworker.security import audit_anchor
from keyworker.security.permissions import Actor, Permission, Role
from keyworker.security.slot_changes import SlotChanges

if TYPE_CHECKING:
    from keyworker.caseload_query import CaseloadService
    from keyworker.documents.store import DocumentService
    from keyworker.care_plans import CarePlanService
    from keyworker.reviews import ReviewService
    from keyworker.imports import ImportService
    from keyworker.referrals import ReferralService
    from keyworker.reports import ReportService
    from keyworker.residents import ResidentService
    from keyworker.security.accounts import AccountService
    from keyworker.security.audit_service import AuditService
    from keyworker.security.recovery import RecoverySession
    from keyworker.settings import SettingsService
    from keyworker.unit_profile import UnitProfileService
    from keyworker.first_steps import FirstStepsService
    from keyworker.risk import RiskService
    from keyworker.incidents import IncidentService
    from keyworker.safeguarding import SafeguardingService
    from keyworker.key_work import KeyWorkService
    from keyworker.pre_admission import PreAdmissionService
    from keyworker.notes import NoteService
    from keyworker.contacts import ContactService
    from keyworker.outbox.service import OutboxService
    from keyworker.outbox.destinations import DestinationService
    from keyworker.sharing import SharingService
    from keyworker.discharges import DischargeService
    from keyworker.discharge_plans import DischargePlanService
    from keyworker.outcome_star import OutcomeStarService
    from keyworker.top import TopService
    from keyworker.follow_ups import FollowUpService
    from keyworker.surveys import SurveyService
    from keyworker.returns.pseudonymised import ExtractService
    from keyworker.returns.service import ReturnsService
    from keyworker.sync.service import SyncService

from keyworker.security.vault import (
    ACCOUNT,
    DEFAULT_KDF,
    RECOVERY,
    RECOVERY_COUNTER,
    KdfParams,
    Vault,
    lock_path_for,
    new_db_key,
    new_recovery_key,
    vault_path_for,
)
from keyworker.unit_files import (
    UnitLock,
    file_identity,
    record_settled_restore,
    recover_interrupted_restore,
    replaced_while_open,
)
from keyworker.unit_name import sync_unit_name


@dataclass(frozen=True)
class UnitContext:
    """What the unit of work stamps on rows: see keyworker.db.base.stamp_rows."""

    clock: Clock
    actor_id: str | None
    device_id: str


# name on the casebook -> "module:Class". Each area adds its line.
SERVICES: list[tuple[str, str]] = [
    ("accounts", "keyworker.security.accounts:AccountService"),
    ("audit", "keyworker.security.audit_service:AuditService"),
    ("settings", "keyworker.settings:SettingsService"),
    ("documents", "keyworker.documents.store:DocumentService"),
    ("care_plans", "keyworker.care_plans:CarePlanService"),
    ("reviews", "keyworker.reviews:ReviewService"),
    ("residents", "keyworker.residents:ResidentService"),
    ("referrals", "keyworker.referrals:ReferralService"),
    ("imports", "keyworker.imports:ImportService"),
    ("caseload", "keyworker.caseload_query:CaseloadService"),
    ("reports", "keyworker.reports:ReportService"),
    ("unit_profile", "keyworker.unit_profile:UnitProfileService"),
    ("first_steps", "keyworker.first_steps:FirstStepsService"),
    ("risk", "keyworker.risk:RiskService"),
    ("incidents", "keyworker.incidents:IncidentService"),
    ("safeguarding", "keyworker.safeguarding:SafeguardingService"),
    ("key_work", "keyworker.key_work:KeyWorkService"),
    ("pre_admission", "keyworker.pre_admission:PreAdmissionService"),
    ("notes", "keyworker.notes:NoteService"),
    ("contacts", "keyworker.contacts:ContactService"),
    ("sharing", "keyworker.sharing:SharingService"),
    ("outbox", "keyworker.outbox.service:OutboxService"),
    ("destinations", "keyworker.outbox.destinations:DestinationService"),
    ("discharges", "keyworker.discharges:DischargeService"),
    ("discharge_plans", "keyworker.discharge_plans:DischargePlanService"),
    ("outcome_star", "keyworker.outcome_star:OutcomeStarService"),
    ("top", "keyworker.top:TopService"),
    ("follow_ups", "keyworker.follow_ups:FollowUpService"),
    ("surveys", "keyworker.surveys:SurveyService"),
    ("extracts", "keyworker.returns.pseudonymised:ExtractService"),
    ("returns", "keyworker.returns.service:ReturnsService"),
    ("sync", "keyworker.sync.service:SyncService"),
]


class Casebook:
    accounts: AccountService
    audit: AuditService
    settings: SettingsService
    documents: DocumentService
    care_plans: CarePlanService
    reviews: ReviewService
    residents: ResidentService
    referrals: ReferralService
    imports: ImportService
    caseload: CaseloadService
    reports: ReportService
    unit_profile: UnitProfileService
    first_steps: FirstStepsService
    risk: RiskService
    incidents: IncidentService
    safeguarding: SafeguardingService
    key_work: KeyWorkService
    pre_admission: PreAdmissionService
    notes: NoteService
    contacts: ContactService
    sharing: SharingService
    outbox: OutboxService
    destinations: DestinationService
    discharges: DischargeService
    discharge_plans: DischargePlanService
    outcome_star: OutcomeStarService
    top: TopService
    follow_ups: FollowUpService
    surveys: SurveyService
    extracts: ExtractService
    returns: ReturnsService
    sync: SyncService

    def __init__(
        self,
        path: Path,
        engine: Engine,
        vault: Vault,
        key: bytes,
        actor: Actor,
        clock: Clock,
        device_id: str,
        kdf: KdfParams,
    ) -> None:
        self.path = path
        self._engine = engine
        self._vault = vault
        self._key = key
        self.actor = actor
        self.clock = clock
        self.device_id = device_id
        self.kdf = kdf
        self.locked = False
        # Which file this book has open: a restore elsewhere would put another one at `path`.
        self._file_id = file_identity(path)
        self._unit_lock: UnitLock | None = None  # held SHARED while open (keyworker.unit_files)
        self._slot_changes: SlotChanges | None = None
        self._read_engine = read_only_engine(engine)
        self._writes_since_anchor = 0
        # Plain words for the person who signed in when a new unit key could not be taken into use
        # at this open (keyworker/sync/unit_key.py); None when there is nothing to say.
        self.unit_key_notice: str | None = None
        self._attach_services()

    def _attach_services(self) -> None:
        """One line per service in SERVICES: `casebook.<name>` is an instance bound to this book.
        A service with a `counts(session) -> dict` method contributes to `check --json`."""
        import importlib

        for name, target in SERVICES:
            module, cls = target.split(":")
            setattr(self, name, getattr(importlib.import_module(module), cls)(self))

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: Path | str,
        *,
        admin_username: str,
        admin_full_name: str,
        password: str,
        clock: Clock | None = None,
        kdf: KdfParams = DEFAULT_KDF,
        device_id: str | None = None,
        unit_name: str = "",
    ) -> tuple[Casebook, str]:
        """A new unit database with its first administrator. Returns it and the recovery key,
        which is shown once and never stored in plain form."""
        from keyworker.security.accounts import validate_new_account

        path = Path(path)
        clock = clock or SystemClock()
        device = device_id or default_device_id()
        vpath = vault_path_for(path)
        if path.exists() or vpath.exists():
            raise StorageError(f"{path} already exists. Choose another file or open it instead.")
        validate_new_account(admin_username, admin_full_name, Role.ADMIN.value, password, existing=set())
        if not path.parent.exists():
            try:
                path.parent.mkdir(parents=True)
            except OSError as e:
                raise StorageError(f"Cannot create the folder {path.parent}: {e.strerror}") from e
        if not os.access(path.parent, os.W_OK):
            raise StorageError(f"The folder {path.parent} is read-only. Choose a folder you can write to.")
        lock = UnitLock.shared(path)
        key = new_db_key()
        recovery = new_recovery_key()
        vault = Vault.create(vpath)
        # Owner-only from the first byte; SQLite gives the -wal and -shm files the same mode.
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as e:
            raise StorageError(f"Cannot create {path}: {e.strerror}") from e
        engine = make_engine(path, key)
        try:
            migrate.upgrade(engine)
            admin_id: str
            with Session(engine) as s, s.begin():
                s.info["ctx"] = UnitContext(clock, None, device)
                # Creating the unit signs its first administrator in: their "last signed in" is now.
                admin = Account(username=admin_username.strip().lower(), full_name=admin_full_name.strip(),
                                role=Role.ADMIN.value, disabled=False, must_change_password=False,
                                last_sign_in_at=clock.now())
                s.add(admin)
                s.flush()
                admin_id = admin.id
                s.info["ctx"] = UnitContext(clock, admin_id, device)
                s.flush()
                from keyworker.settings import set_setting

                set_setting(s, "unit_id", vault.unit_id)
                if unit_name:
                    set_setting(s, "unit_name", unit_name)
                audit_chain.append(s, at=clock.now(), actor_id=admin_id, actor_name=admin.username,
                                   device_id=device, action="unit.create", entity="unit", entity_id=vault.unit_id)
                audit_chain.append(s, at=clock.now(), actor_id=admin_id, actor_name=admin.username,
                                   device_id=device, action="account.create", entity="account",
                                   entity_id=admin_id, detail={"username": admin.username, "role": admin.role})
                vault.add_slot(ACCOUNT, admin.username, password, key, kdf)
                vault.add_slot(RECOVERY, RECOVERY, recovery, key, kdf)
                vault.save()
            actor = Actor(admin_id, admin_username.strip().lower(), admin_full_name.strip(), Role.ADMIN)
        except BaseException as e:
            engine.dispose()
            lock.release()
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), vpath, lock_path_for(vpath)):
                if p.exists():
                    p.unlink()
            if isinstance(e, KeyworkerError):
                raise
            if isinstance(e, DRIVER_ERRORS):
                raise translate_db_error(e, path) from e
            raise
        book = cls(path, engine, vault, key, actor, clock, device, kdf)
        book._unit_lock = lock
        book._anchor_chain()
        sync_unit_name(book)  # the sign-in window names the unit before anyone signs in
        return book, recovery

    @classmethod
    def open(
        cls,
        path: Path | str,
        username: str,
        password: str,
        *,
        clock: Clock | None = None,
        device_id: str | None = None,
        kdf: KdfParams = DEFAULT_KDF,
    ) -> Casebook:
        """Unlock the vault with this user's password, open the database, migrate it if it is
        older (after an encrypted backup), and sign the user in."""
        path = Path(path)
        clock = clock or SystemClock()
        device = device_id or default_device_id()
        recover_interrupted_restore(path)
        _check_db_file(path)
        vault = Vault.load(vault_path_for(path))
        key = vault.unlock(username, password, clock)  # reads and counts in the current file, locked
        book = cls._open_with_key(path, vault, key, clock, device, kdf, username=username)
        book._rewrap_slot(ACCOUNT, username, password)
        return book

    @classmethod
    def open_with_recovery_key(
        cls, path: Path | str, recovery_key: str, *, clock: Clock | None = None,
        device_id: str | None = None, kdf: KdfParams = DEFAULT_KDF,
    ) -> RecoverySession:
        """Open with the recovery key: a session that can only reset an administrator's password.
        Throttled by its own counter; failures are audited like failed sign-ins."""
        from keyworker.security.recovery import RecoverySession

        path = Path(path)
        clock = clock or SystemClock()
        recover_interrupted_restore(path)
        _check_db_file(path)
        vault = Vault.load(vault_path_for(path))
        key = vault.unlock_recovery(recovery_key, clock)
        book = cls._open_with_key(path, vault, key, clock, device_id or default_device_id(), kdf, username=None)
        from keyworker.security.vault import normalise_recovery_key

        book._rewrap_slot(RECOVERY, RECOVERY, normalise_recovery_key(recovery_key))
        return RecoverySession(book)

    @classmethod
    def _open_with_key(
        cls, path: Path, vault: Vault, key: bytes, clock: Clock, device: str, kdf: KdfParams,
        *, username: str | None,
    ) -> Casebook:
        prepared = _prepare_unit_key(path, vault, key)  # a new unit key: re-key now, before any pool exists
        if prepared is not None:
            key = prepared.key
        lock = UnitLock.shared(path)
        engine = make_engine(path, key)
        try:
            migrated = _migrate_if_needed(engine, path, key, vault, clock)
            if username is not None:
                _finish_join_if_needed(cls, engine, path, vault, key, clock, device, kdf)
            actor: Actor
            with Session(engine) as s:
                if username is None:
                    from keyworker.security.recovery import RECOVERY_ACTOR

                    actor = RECOVERY_ACTOR
                else:
                    actor = _actor_for(s, username)
            book = cls(path, engine, vault, key, actor, clock, device, kdf)
            book._repair_vault()
            if prepared is not None:
                book._record_rekey(prepared)
            if migrated:
                with book._write() as s:
                    book._record(s, "unit.migrate", "unit", vault.unit_id, detail=migrated)
            book._unit_lock = lock
            book._record_sign_in(first=True)
            record_settled_restore(book)
            sync_unit_name(book)
            return book
        except KeyworkerError:
            engine.dispose()
            lock.release()
            raise
        except DRIVER_ERRORS as e:
            engine.dispose()
            lock.release()
            raise translate_db_error(e, path) from e

    # Open to every role (tests/unit/test_permissions_walk.py lists each with its reason): opening
    # (the password or recovery key is the check), close, require, lock, unlock, verify_password
    # and check (integrity and counts only, for a monitoring script run as any user).
    def close(self) -> None:
        self._anchor_chain()
        self._engine.dispose()
        if self._unit_lock is not None:
            self._unit_lock.release()

    # -- units of work (internal) ------------------------------------------------------------
    # _write, _read, _record, _engine and _vault are for the services of this package only: they
    # check no permission. Everything a UI, CLI or script may call is a permission-checked service.
    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction: the change, its audit entries and any outbox rows commit together."""
        if self.locked:
            raise UnitLocked()
        if file_identity(self.path) != self._file_id:
            raise replaced_while_open(self.path)
        # Key slots change with their account (keyworker.security.slot_changes): a failed
        # transaction undoes its slot changes; a committed one makes them final.
        outer = self._slot_changes
        with ExitStack() as hold:
            changes = self._slot_changes = SlotChanges(self._vault, hold)
            try:
                with Session(self._engine, expire_on_commit=False) as s:
                    s.info["ctx"] = UnitContext(self.clock, self.actor.id, self.device_id)
                    s.info["sync_keyring"] = self._sync_keyring()  # seals the op-log (keyworker/sync)
                    with s.begin():
                        yield s
            except BaseException as e:
                changes.rolled_back()
                if isinstance(e, DRIVER_ERRORS):
                    raise translate_db_error(e, self.path) from e
                raise
            finally:
                self._slot_changes = outer
            changes.committed()
        self._writes_since_anchor += 1
        if self._writes_since_anchor >= audit_anchor.ANCHOR_EVERY_WRITES:
            self._anchor_chain()

    def _sync_keyring(self) -> Any:
        """The unit's sync keys (keyworker/sync/keys.py), unwrapped once per open book."""
        ring = getattr(self, "_keyring", None)
        if ring is None:
            from keyworker.sync.keys import keyring

            ring = self._keyring = keyring(self._vault, self._key)
        return ring

    def _forget_sync_keyring(self) -> None:
        """The vault has a new sync key epoch (keyworker/sync/rotate.py): the next write reads them again."""
        self.__dict__.pop("_keyring", None)

    def _anchor_chain(self) -> None:
        """Raise the audit chain's high-water mark in the vault. Best effort: the writes it
        covers are already committed, and the next sign-in, lock, close or check tries again."""
        self._writes_since_anchor = 0
        try:
            with Session(self._read_engine) as s:
                audit_anchor.advance(s, self._vault)
        except (KeyworkerError, *DRIVER_ERRORS):
            pass

    @contextmanager
    def _read(self) -> Iterator[Session]:
        if self.locked:
            raise UnitLocked()
        try:
            # Closing the session detaches what was loaded (still readable) and ends the read
            # transaction; an explicit rollback would expire the objects first.
            with Session(self._read_engine, expire_on_commit=False) as s:
                yield s
        except DRIVER_ERRORS as e:
            raise translate_db_error(e, self.path) from e

    def require(self, permission: Permission) -> None:
        self.actor.require(permission)

    def _record(
        self, session: Session, action: str, entity: str, entity_id: str | None = None, *,
        resident_id: str | None = None, detail: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit entry inside `session`'s transaction."""
        audit_chain.append(session, at=self.clock.now(), actor_id=self.actor.id, actor_name=self.actor.username,
                           device_id=self.device_id, action=action, entity=entity, entity_id=entity_id,
                           resident_id=resident_id, detail=detail)

    # -- sign-in, lock -----------------------------------------------------------------------
    def _record_failed_sign_ins(self, s: Session) -> tuple[set[str], int]:
        """Audit the failures queued in the vault; the caller forgets them after the commit."""
        rows, more = self._vault.pending_failures()
        for when, who, _ in rows:
            name = "(recovery key)" if who == RECOVERY_COUNTER else who
            self._record(s, "sign_in.failed", "account", None, detail={"username": name, "at": when})
        if more:
            self._record(s, "sign_in.failed_unknown_names", "account", None,
                         detail={"count": more.get("count"), "first": more.get("first"), "last": more.get("last")})
        return {i for _, _, i in rows}, int(more.get("count", 0)) if more else 0

    def _repair_vault(self) -> None:
        from keyworker.security.vault_repair import reconcile

        repairs = reconcile(self._vault, self._engine)
        if repairs:
            with self._write() as s:
                for r in repairs:
                    self._record(s, "vault.repair", "account", None, detail=r)

    def _record_sign_in(self, first: bool) -> None:
        with self._write() as s:
            written = self._record_failed_sign_ins(s)
            if self.actor.id != "recovery":
                acct = s.get(Account, self.actor.id)
                if acct is not None:
                    acct.last_sign_in_at = self.clock.now()
            self._record(s, "sign_in" if first else "unlock", "account", self.actor.id,
                        detail={"recovery": self.actor.id == "recovery"} if self.actor.id == "recovery" else None)
        self._vault.drop_pending_failures(*written)
        self._anchor_chain()

    def lock(self) -> None:
        if self.locked:
            return
        # The lock holds even if its audit entry cannot be written (disk full, file replaced).
        try:
            with self._write() as s:
                self._record(s, "lock", "account", self.actor.id)
            self._anchor_chain()
        finally:
            self.locked = True

    def unlock(self, username: str, password: str) -> Actor:
        """Sign in again after a lock, as the same or another authorised user."""
        try:
            key = self._vault.unlock(username, password, self.clock)
        except AuthenticationFailed:
            self.locked = False  # only to write the failure (and any queued) to the audit chain
            try:
                with self._write() as s:
                    written = self._record_failed_sign_ins(s)
                self._vault.drop_pending_failures(*written)
            finally:
                self.locked = True
            raise
        if key != self._key:
            raise VaultError("That account belongs to another unit database.")
        with Session(self._engine) as s:
            actor = _actor_for(s, username)
        self.actor = actor
        self.locked = False
        self._record_sign_in(first=False)
        self._rewrap_slot(ACCOUNT, username, password)
        return actor

    def verify_password(self, password: str) -> None:
        """Re-check the signed-in user's password (before changing it)."""
        key = self._vault.unlock(self.actor.username, password, self.clock)
        if key != self._key:
            raise AuthenticationFailed()

    # -- backup ------------------------------------------------------------------------------
    def backup(self, out: Path | str, *, replace: bool = False) -> Path:
        self.require(Permission.BACKUP)
        self._anchor_chain()  # so the backup's vault holds the mark too
        with self._vault.locked():  # the current slots, and no account change commits meanwhile
            self._vault.refresh()
            out = backup_mod.write_backup(self._engine, self._key, self._vault, Path(out), self.clock,
                                          replace=replace)
        with self._write() as s:
            self._record(s, "backup", "unit", self._vault.unit_id, detail={"file": Path(out).name})
        self._anchor_chain()
        return out

    def _wrap_key_for(self, kind: str, username: str, secret: str, *, session: Session) -> None:
        """Add or replace a key slot inside the accounts service's transaction (`session`). The slot
        wraps the newest unit key this vault holds (keyworker/security/unit_keys.py)."""
        if self._slot_changes is None:
            raise RuntimeError("_wrap_key_for is only for use inside _write()")
        key, gen = self._newest_unit_key()
        slot = self._vault.new_slot(kind, username, secret, key, self.kdf, gen=gen)  # slow: outside the lock
        self._slot_changes.add(session, slot)

    def _newest_unit_key(self) -> tuple[bytes, int]:
        from keyworker.security import unit_keys

        data = self._vault.update(lambda d: {unit_keys.FIELD: d.get(unit_keys.FIELD)})
        file_gen, newest = unit_keys.file_gen(data), unit_keys.newest_gen(data)
        if newest == file_gen:
            return self._key, file_gen
        return unit_keys.walk(data, self._vault.unit_id, self._key, file_gen, newest), newest

    def _rewrap_slot(self, kind: str, username: str, secret: str) -> None:
        """A slot of an older unit key generation is wrapped again under the newest at its owner's
        sign-in (keyworker/sync/unit_key.py). Best effort: the sign-in stands if it cannot be."""
        if self._vault.unit_key_gens()[1] <= 1:
            return
        from keyworker.sync.unit_key import rewrap_slot

        try:
            rewrap_slot(self, kind, username, secret)
        except (KeyworkerError, *DRIVER_ERRORS):
            pass

    def _record_rekey(self, prepared: Any) -> None:
        self.unit_key_notice = prepared.notice
        if prepared.rekeyed is not None:
            with self._write() as s:
                self._record(s, "unit.rekey", "unit", self._vault.unit_id, detail=prepared.rekeyed)
        elif prepared.failed is not None:
            with self._write() as s:
                self._record(s, "unit.rekey_failed", "unit", self._vault.unit_id, detail={"reason": prepared.failed})

    def _remove_key_for(self, kind: str, username: str) -> None:
        """Remove a key slot once the accounts service's transaction has committed."""
        if self._slot_changes is None:
            raise RuntimeError("_remove_key_for is only for use inside _write()")
        self._slot_changes.remove_after_commit(kind, username)

    # -- monitoring --------------------------------------------------------------------------
    def check(self, *, integrity: bool = True, against: Path | str | None = None,
              full: bool = False) -> dict[str, Any]:
        """What `check --json` prints: integrity, audit chain (with its anchors outside the file,
        the head of backup `against` if given, and on an enrolled laptop the head the unit hub last
        saw, asked for with a 10 s timeout), and each area's counts. The chain is walked
        from where the last check left it unless `full` (`check --full`): then all of it."""
        from keyworker.sync.chain_heads import hub_head

        report: dict[str, Any] = {}
        backup_head = None
        if against is not None:
            held = audit_anchor.backup_head(Path(against), self._key, self._vault.unit_id)
            backup_head = (Path(against).name, held)
        # Asked before the chain is read: the local chain only grows, so what the hub saw then
        # must be in what is read next. No transaction is held while the network answers.
        hub = hub_head(self)
        with self._read() as s:
            if integrity:
                rows = s.execute(text("PRAGMA quick_check")).scalars().all()
                report["integrity"] = "ok" if rows == ["ok"] else "; ".join(map(str, rows[:5]))
            report["audit_chain"] = audit_anchor.report(s, self._vault, backup_head, full=full, hub=hub)
            for service in self._monitored_services():
                report.update(service.counts(s))
        report["ok"] = report.get("integrity", "ok") == "ok" and report["audit_chain"]["ok"]
        detail: dict[str, Any] = {"ok": report["ok"]}
        held = report["audit_chain"].get("hub")
        if held is not None:  # enrolled: what the comparison with the unit hub found
            detail["hub"] = {True: "matches", False: "differs", None: "not compared"}[held["ok"]]
        with self._write() as s:
            self._record(s, "check", "unit", self._vault.unit_id, detail=detail)
        self._anchor_chain()
        return {"ok": report.pop("ok"), **report}

    def _monitored_services(self) -> list[Any]:
        return [svc for svc in vars(self).values() if hasattr(svc, "counts") and callable(svc.counts)]


def _prepare_unit_key(path: Path, vault: Vault, key: bytes) -> Any:
    """keyworker/sync/unit_key.py prepare_open, on a laptop whose unit key was ever rotated."""
    file_gen, newest = vault.unit_key_gens()
    if newest <= 1:
        return None
    from keyworker.sync.unit_key import prepare_open

    return prepare_open(path, vault, key)


def _check_db_file(path: Path) -> None:
    if not path.exists():
        raise DatabaseError(f"There is no unit database at {path}.")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise DatabaseError(f"The unit database {path} cannot be read: {e.strerror}") from e
    # A unit database is whole 4096-byte pages (SQLCipher's page size; Keyworker never changes it).
    if len(head) < 16 or path.stat().st_size % 4096:
        raise DatabaseError(f"The unit database {path.name} is empty or truncated.")
    if head == SQLITE_HEADER:
        raise DatabaseError(f"{path.name} is an unencrypted SQLite file, not a Keyworker unit database.")
    # SQLite writes its -wal and -shm beside the database, and every sign-in is audited: say so
    # plainly instead of failing later with "unable to open database file".
    if not os.access(path.parent, os.W_OK | os.X_OK) or not os.access(path, os.W_OK):
        raise StorageError(
            f"The folder {path.parent} is read-only, and Keyworker must write beside the unit database. "
            "Copy the database and its .vault file to a folder you can write to."
        )


def _finish_join_if_needed(cls: type[Casebook], engine: Engine, path: Path, vault: Vault, key: bytes, clock: Clock,
                           device: str, kdf: KdfParams) -> None:
    """A laptop whose join died while it loaded the unit's snapshot (keyworker/sync/snapshot.py)
    has no accounts yet: they come with the snapshot. A password that opens the unit key is
    proof enough, so the first sign-in finishes the join (one sync round) before it looks the
    account up."""
    from keyworker.sync.snapshot import needed

    with Session(engine) as s:
        if not needed(s):
            return
    from keyworker.sync.client import HubError
    from keyworker.sync.enrol import JOIN_ACTOR, EnrolmentError
    from keyworker.sync.run import sync_once

    book = cls(path, make_engine(path, key), vault, key, JOIN_ACTOR, clock, device, kdf)
    try:
        sync_once(book)
    except HubError as e:
        raise EnrolmentError(f"This laptop's join stopped before the unit was copied to it; it finishes when "
                             f"someone signs in while the unit hub can be reached ({e.message}).") from e
    finally:
        book.close()


def _actor_for(session: Session, username: str) -> Actor:
    acct = session.scalars(
        select(Account).where(Account.username == username.strip().lower(), Account.archived.is_(False))
    ).first()
    if acct is None:
        raise AuthenticationFailed()
    if acct.disabled:
        raise AccountDisabled()
    return Actor(acct.id, acct.username, acct.full_name, Role(acct.role))


def _migrate_if_needed(
    engine: Engine, path: Path, key: bytes, vault: Vault, clock: Clock
) -> dict[str, str] | None:
    """Back up, then upgrade an older schema. Returns what was done, for the audit trail."""
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    if current == head:
        return None
    if current is None:
        raise DatabaseError(f"{path.name} is not a Keyworker unit database (it has no schema).")
    if current not in migrate.known_revisions():
        raise DatabaseError(
            f"{path.name} was written by a newer version of Keyworker (schema {current}). Update the app."
        )
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.before-{head}-{stamp}.kwbackup")
    backup_mod.write_backup(engine, key, vault, backup, clock)
    migrate.upgrade(engine)
    return {"from": current, "to": head, "backup": backup.name}
