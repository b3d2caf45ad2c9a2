"""The laptop side of sync (issue 17, docs/SYNC.md): the op-log and the apply engine. No Qt and
no transport: the sync worker (or a test's exchange) moves OutgoingOp / PulledOp lists."""
