"""E-mail: notifications out through the operator's SMTP server (``EMAIL_*`` settings).

Each message carries ``Message-ID: <delivery key@host>``, the same on every attempt, so a
copy sent again after a crash is the same message to mail clients that de-duplicate.
"""
