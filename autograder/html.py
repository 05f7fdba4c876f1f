"""The instructor's HTML pages: Jinja2 templates with autoescaping, one stylesheet, nothing loaded from elsewhere.

Students write the code, the notebook outputs and the ids these pages show:
autoescaping escapes every such string. The only text marked ``|safe`` is code
copydetect has already escaped itself (with ``<mark>`` around shared regions).
"""
from __future__ import annotations

from jinja2 import Environment

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 75em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0; } th, td { padding: .25em .6em; text-align: left;
  vertical-align: top; border-bottom: 1px solid #e4e4e4; } th { background: #f4f4f4; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f8f8f8; padding: .5em; overflow-x: auto; white-space: pre-wrap; margin: 0; }
mark { background: #ffd54f; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.bar { display: flex; width: 16em; height: 1.1em; background: #eee; }
.bar span { display: block; height: 100%; }
.full { background: #2e7d32; } .partial { background: #f9a825; } .zero { background: #c62828; }
.awaiting { background: #90a4ae; }
.key span { display: inline-block; width: .9em; height: .9em; margin: 0 .3em 0 1em; vertical-align: middle; }
.note { color: #555; }
"""

_ENVIRONMENT = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> str:
    """``template`` (Jinja2 source) rendered with ``context`` and the shared stylesheet as ``style``."""
    return _ENVIRONMENT.from_string(template).render(style=STYLE, **context)
