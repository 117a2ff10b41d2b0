"""akscan: find leaked cloud AccessKey pairs in files and git history, and check them live."""

__version__ = "0.2.0"
# Where the project lives: every link akscan prints or writes points here, never at a package index.
PROJECT_URL = "https://github.com/akscan/akscan"
