from django.contrib.auth import password_validation
from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts.models import User


class UserSerializer(serializers.ModelSerializer):
    """The public view of a user."""

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "date_joined")
        read_only_fields = fields


class RegisterSerializer(serializers.ModelSerializer):
    """Sign-up: e-mail and a password that passes Django's validators."""

    # Bounded: hashing a megabyte-long password on every sign-in would be a cheap way to load the server.
    password = serializers.CharField(write_only=True, max_length=256, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ("id", "email", "password", "first_name", "last_name")
        read_only_fields = ("id",)

    def validate_email(self, value: str) -> str:
        email = value.lower()
        if User.objects.filter(email=email).exists():
            raise serializers.ValidationError("a user with this e-mail address already exists")
        return email

    def validate(self, attrs: dict) -> dict:
        password_validation.validate_password(attrs["password"], User(email=attrs["email"]))
        return attrs

    def create(self, validated_data: dict) -> User:
        # Two sign-ups for one address can both pass validate_email; the unique index decides.
        try:
            with transaction.atomic():
                return User.objects.create_user(**validated_data)
        except IntegrityError as error:
            raise serializers.ValidationError({"email": ["a user with this e-mail address already exists"]}) from error


class LogoutSerializer(serializers.Serializer):
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
