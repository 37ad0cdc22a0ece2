"""Django's PostgreSQL backend with the password read from Secrets Manager when a connection opens.

settings.py selects it (ENGINE ``config.database``) when DB_PASSWORD_SECRET_ARN is set, as on ECS: the
RDS-managed password rotates every 7 days, and a password read once at start-up would refuse every
connection opened after the first rotation. Everything else is Django's own backend.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db.backends.postgresql import base

from config.db_password import SecretPassword, secret_password


def is_password_rejected(error: psycopg.OperationalError) -> bool:
    """Did the server refuse the password? (Connection errors carry no SQLSTATE, only the server's message.)"""
    return error.sqlstate == "28P01" or "password authentication failed" in str(error)


class DatabaseWrapper(base.DatabaseWrapper):
    """Opens each connection with the secret's cached password; a refused password is re-read and retried once."""

    def password_source(self) -> SecretPassword:
        """This process's cache of the secret named in settings (one per secret, shared by every thread)."""
        return secret_password(self.settings_dict["PASSWORD_SECRET_ARN"], self.settings_dict["PASSWORD_SECRET_REGION"])

    def get_connection_params(self) -> dict[str, Any]:
        """Django's parameters, with the cached password from the secret."""
        params: dict[str, Any] = super().get_connection_params()
        params["password"] = self.password_source().current()
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        """Connect; when the password is refused, connect once more with the secret's other value, if any."""
        source = self.password_source()
        try:
            connection = super().get_new_connection(conn_params)
        except psycopg.OperationalError as error:
            if not is_password_rejected(error):
                raise
            password = source.reread(rejected=conn_params["password"])
            if password is None:
                raise
            conn_params = {**conn_params, "password": password}
            connection = super().get_new_connection(conn_params)
        source.accepted(conn_params["password"])
        return connection
