"""What the unit hub last saw of this laptop's audit chain, for `check` (docs/SYNC.md, "Audit-chain
heads"). Each push carries the chain's head and the hub keeps the furthest per device; `check` on
an enrolled laptop asks for it here and keyworker/security/audit_anchor.compare_with_hub asks that
the local chain still hold that entry with that hash.

The hub being unreachable or refusing is never a failure of `check`: the answer then says, in
words that follow "not compared: ", why the chain was checked by this laptop's own anchors only."""
from __future__ import annotations

from typing import TYPE_CHECKING

from keyworker.errors import KeyworkerError
from keyworker.security.audit_anchor import HubHead
from keyworker.sync.client import CertificateChanged, HubRefused, HubUnreachable
from keyworker.sync.hubconf import hub_config
from keyworker.sync.run import client_for

if TYPE_CHECKING:
    from keyworker.casebook import Casebook

CHECK_TIMEOUT = 10.0  # seconds: `check` is for monitoring, and an offline laptop must not hang it


def hub_head(book: Casebook, *, timeout: float = CHECK_TIMEOUT) -> HubHead | None:
    """None when this laptop is not enrolled with a hub; otherwise what the hub holds, or why it
    was not compared. Never raises for the hub or the enrolment."""
    try:
        if hub_config(book._vault) is None:
            return None
        with client_for(book, timeout=timeout) as hub:
            held = hub.chain_head()
    except CertificateChanged as e:
        return HubHead(not_compared=f"{e.message} (the hub was not asked)")
    except HubUnreachable as e:
        if e.status is None:
            return HubHead(not_compared="the unit hub could not be reached (this laptop may be offline, "
                                        "or the hub down)")
        return HubHead(not_compared=f"the unit hub could not answer just now: {e.message}")
    except HubRefused as e:
        return HubHead(not_compared=f"the unit hub refused: {e.message}")
    except KeyworkerError as e:  # enrolled on another laptop, an unreadable enrolment in the vault
        return HubHead(not_compared=str(e))
    except (KeyError, TypeError, ValueError):
        return HubHead(not_compared="the unit hub's answer could not be read")
    if held is None:
        return HubHead()
    return HubHead(held.seq, held.hash, held.at)
