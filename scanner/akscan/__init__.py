"""akscan: find leaked cloud AccessKey pairs in files and git history, and check them live."""

__version__ = "0.1.0"
