"""The outbox: letters, summaries, notifications and returns wait here, inside the encrypted
database, and leave when a destination takes them with a durable receipt.

- `queue.enqueue(book, session, ...)` — called by any service inside its own write transaction,
  so the item commits with the record it belongs to (or neither does).
- `transport.Transport` — what an HTTPS, SFTP or email destination implements; it raises
  `TransientFailure` (try again later, maybe after `retry_after`) or `PermanentFailure`
  (quarantine, with the server's words) and returns a `Receipt` only on a durable receipt.
"""
