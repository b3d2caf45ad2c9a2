"""Storage: the SQLCipher engine, the declarative base and the ORM models."""
