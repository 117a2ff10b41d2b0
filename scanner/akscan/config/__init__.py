"""What a run is told: command-line flags merged over the project's config file, rule settings,
suppression (inline markers, allowlists, baselines) and path excludes. A pull request's own config
never judges it (``base``)."""
