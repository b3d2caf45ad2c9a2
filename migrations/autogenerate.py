"""Developer tool: print the Alembic operations that bring a database at REVISION up to the
current models. Paste them into a new file in migrations/versions/ and review them.

    python migrations/autogenerate.py 0001_foundation
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext

from keyworker.db import migrate
from keyworker.db.engine import make_engine
from keyworker.db.models import Base


def main(revision: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        engine = make_engine(Path(d) / "autogen.kwdb", b"k" * 32)
        migrate.upgrade(engine, revision)
        with engine.connect() as conn:
            ops = produce_migrations(MigrationContext.configure(conn), Base.metadata).upgrade_ops
            code = render_python_code(ops)
        engine.dispose()
    print(code.replace("keyworker.db.base.UTCDateTime()", "sa.DateTime()"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "head")
