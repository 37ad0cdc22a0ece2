"""Django's PostgreSQL backend, taking its password from Secrets Manager (see base.py)."""
