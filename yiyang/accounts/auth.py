"""API authentication: the browser session (with CSRF) or a revocable bearer token, same scoping."""

from ninja.security import HttpBearer, SessionAuth

from .services import user_for_token


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


# A presented bearer token is tried first: the session check would refuse a POST without a CSRF token
# before the token could be looked at.
api_auth = [TokenAuth(), SessionAuth()]
