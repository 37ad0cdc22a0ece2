import contextlib

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView, TokenVerifyView

from apps.accounts.authentication import active_account
from apps.accounts.models import User
from apps.accounts.serializers import LogoutSerializer, RefreshSerializer, RegisterSerializer, UserSerializer
from apps.accounts.throttling import CREDENTIAL_THROTTLES, AddressThrottle


class RegisterView(generics.CreateAPIView):
    """Create an account."""

    serializer_class = RegisterSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = CREDENTIAL_THROTTLES
    error_responses = {409: "an account with this e-mail address exists"}


class ThrottledTokenObtainPairView(TokenObtainPairView):
    """Sign in with e-mail and password; rate-limited per address and per account against guessing."""

    throttle_classes = CREDENTIAL_THROTTLES
    error_responses = {401: "no active account has this e-mail address and password"}


class ThrottledTokenRefreshView(TokenRefreshView):
    """Exchange a refresh token for new tokens; rate-limited per address."""

    serializer_class = RefreshSerializer
    throttle_classes = [AddressThrottle]
    error_responses = {401: "the refresh token is not valid, expired, revoked, or its account is gone"}


class ThrottledTokenVerifyView(TokenVerifyView):
    """Check a token's signature and expiry; rate-limited per address."""

    throttle_classes = [AddressThrottle]
    error_responses = {401: "the token is not valid or has expired"}


class MeView(generics.RetrieveAPIView):
    """The signed-in user, loaded from the database (so a deactivated account is refused at once)."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self) -> User:
        return active_account(self.request)


class LogoutView(generics.GenericAPIView):
    """Revoke a refresh token (it goes on the blacklist); access tokens expire on their own.

    As in OAuth token revocation (RFC 7009), a token that is not valid, expired or already revoked
    gets the same answer: it cannot be used either way, and a client could do nothing about an error.
    """

    serializer_class = LogoutSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={205: OpenApiResponse(description="the refresh token can no longer be used")})
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The blacklist row refers to the account: it must still exist.
        active_account(request)
        with contextlib.suppress(TokenError):
            serializer.save()
        return Response(status=status.HTTP_205_RESET_CONTENT)
