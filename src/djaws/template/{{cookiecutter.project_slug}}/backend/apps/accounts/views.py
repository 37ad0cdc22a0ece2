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


class ThrottledTokenObtainPairView(TokenObtainPairView):
    """Sign in with e-mail and password; rate-limited per address and per account against guessing."""

    throttle_classes = CREDENTIAL_THROTTLES


class ThrottledTokenRefreshView(TokenRefreshView):
    """Exchange a refresh token for new tokens; rate-limited per address."""

    serializer_class = RefreshSerializer
    throttle_classes = [AddressThrottle]


class ThrottledTokenVerifyView(TokenVerifyView):
    """Check a token's signature and expiry; rate-limited per address."""

    throttle_classes = [AddressThrottle]


class MeView(generics.RetrieveAPIView):
    """The signed-in user, loaded from the database (so a deactivated account is refused at once)."""

    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]

    def get_object(self) -> User:
        return active_account(self.request)


class LogoutView(generics.GenericAPIView):
    """Revoke a refresh token (it goes on the blacklist); access tokens expire on their own."""

    serializer_class = LogoutSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={205: OpenApiResponse(description="refresh token revoked")})
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The blacklist row refers to the account: it must still exist.
        active_account(request)
        try:
            serializer.save()
        except TokenError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_205_RESET_CONTENT)
