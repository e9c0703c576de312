from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy: scripts only from our own static files, no framing.

    Map tiles may come from a configured tile server (MAP_TILE_ORIGINS), so images allow those origins.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        tile_origins = " ".join(getattr(settings, "MAP_TILE_ORIGINS", []))
        self.policy = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                f"img-src 'self' data: blob: {tile_origins}".strip(),
                "font-src 'self' data:",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
