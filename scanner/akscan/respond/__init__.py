"""Responding to a live key: what it reaches (``--access-map``, ``akscan map``: read-only questions the
key itself answers) and switching it off (``akscan disable``: the operator's credentials, never the
leaked key's)."""
