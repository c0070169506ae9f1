"""Local stand-ins for the trackers' APIs, on 127.0.0.1, checking requests as the real ones do."""
