"""The PySide6 desktop interface. Talks to the domain core only through the `Casebook` facade."""
