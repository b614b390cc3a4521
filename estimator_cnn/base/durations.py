"""Durations in words, as progress lines and study reports show them."""


def format_duration(seconds):
  """'42s', '3m05s' or '2h07m'."""
  hours, rest = divmod(int(round(seconds)), 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return f"{hours}h{minutes:02d}m"
  return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"
