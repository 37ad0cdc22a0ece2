"""The registration fields, carrying Django's rules as validators the API schema states.

drf-spectacular turns length, pattern and format validators into the schema, so clients see the
rules they must meet. The password's length and digits rules come from AUTH_PASSWORD_VALIDATORS;
the serializer still runs every validator, also the ones no schema can express (common passwords,
similarity to the e-mail address).
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.validators import EmailValidator, RegexValidator
from rest_framework import serializers

# Bounded: hashing a megabyte-long password on every sign-in would be a cheap way to load the server.
PASSWORD_MAX_LENGTH = 256
# NumericPasswordValidator's rule, as a pattern both Python and the schema's regular expressions read alike.
NOT_ONLY_DIGITS = RegexValidator(r"[^0-9]", message="This password is entirely numeric.")
# The domain EmailValidator accepts (a top-level label of two or more letters, where the schema's
# "email" format allows one), without its ignore-case flag: a schema pattern has no flags.
EMAIL_DOMAIN = RegexValidator(
    "@"
    + (EmailValidator.hostname_re + EmailValidator.domain_re + EmailValidator.tld_no_fqdn_re).replace("a-z", "a-zA-Z")
    + r"\Z",
    message=EmailValidator.message,
)


def password_field() -> serializers.CharField:
    """A write-only password field; built with each serializer, so changed settings apply."""
    configured = password_validation.get_default_password_validators()
    min_length = max(
        (rule.min_length for rule in configured if isinstance(rule, password_validation.MinimumLengthValidator)),
        default=1,
    )
    numeric = any(isinstance(rule, password_validation.NumericPasswordValidator) for rule in configured)
    return serializers.CharField(
        write_only=True,
        min_length=min_length,
        max_length=PASSWORD_MAX_LENGTH,
        validators=[NOT_ONLY_DIGITS] if numeric else [],
        help_text=" ".join(password_validation.password_validators_help_texts()),
        style={"input_type": "password"},
    )
