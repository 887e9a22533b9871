"""Portal pages of the roster."""
