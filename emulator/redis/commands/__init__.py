"""Server-level commands fakeredis does not have (or that a real server answers differently), one family per module."""
