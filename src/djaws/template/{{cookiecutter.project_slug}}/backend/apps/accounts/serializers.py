from typing import Any

from django.contrib.auth import password_validation
from django.db import IntegrityError, transaction
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.fields import EMAIL_DOMAIN, password_field
from apps.accounts.models import User
from apps.core.json_types import JsonTypedSerializer


class AccountExists(APIException):
    """Registering an address that already has an account: a conflict with what exists, not a malformed request."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "a user with this e-mail address already exists"
    default_code = "account_exists"


class UserSerializer(serializers.ModelSerializer):
    """The public view of a user."""

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "date_joined")
        read_only_fields = fields


class RegisterSerializer(JsonTypedSerializer, serializers.ModelSerializer):
    """Sign-up: e-mail and a password that passes Django's validators."""

    class Meta:
        model = User
        fields = ("id", "email", "password", "first_name", "last_name")
        read_only_fields = ("id",)
        # A taken address is a 409 from create(), in any letter case, rather than the model's 400.
        extra_kwargs = {"email": {"validators": [EMAIL_DOMAIN]}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The password field follows AUTH_PASSWORD_VALIDATORS as they are when the request comes."""
        super().__init__(*args, **kwargs)
        self.fields["password"] = password_field()

    def validate_email(self, value: str) -> str:
        return value.lower()

    def validate(self, attrs: dict) -> dict:
        password_validation.validate_password(attrs["password"], User(email=attrs["email"]))
        return attrs

    def create(self, validated_data: dict) -> User:
        # Checked first so a taken address costs no password hash; two racing sign-ups both pass the
        # check, and the unique index decides.
        if User.objects.filter(email=validated_data["email"]).exists():
            raise AccountExists()
        try:
            with transaction.atomic():
                return User.objects.create_user(**validated_data)
        except IntegrityError as error:
            raise AccountExists() from error


class LogoutSerializer(JsonTypedSerializer):
    """The refresh token to revoke."""

    refresh = serializers.CharField()

    def save(self, **kwargs: object) -> None:
        RefreshToken(self.validated_data["refresh"]).blacklist()


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, with a token whose account was deleted refused (401) rather than a 500."""

    def validate(self, attrs: dict) -> dict:
        try:
            return super().validate(attrs)
        except User.DoesNotExist as error:
            raise AuthenticationFailed("the account no longer exists", code="user_not_found") from error
