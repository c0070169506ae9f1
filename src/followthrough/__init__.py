"""followthrough: postmortems that change outcomes."""

__version__ = "0.1.0"
