"""What a student reads against what the notebook shows: the numbers quoted in the text.

A paragraph that tells the student what they "should see" quotes numbers, and so do the
paragraphs that continue it (up to a heading, a bold lead-in, a "Think" prompt, an "Explore" or
a note on what the next cell does). Each number
must be in front of the student before that cell: printed by a cell above it (to the
precision quoted: 229 for a printed 229.4), set in the code above it, or stated in the text
above it. Used by the pipeline test on the autograded notebook of the perfect example
submission (every cell executed), and tested in ``test_notebook_text.py`` on small notebooks.
"""
import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

import nbformat

# A number as written in text or printed: 2250, 2,250, 0.768, .5, 1e-3 (the mantissa).
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?|(?<![\w.])\.\d+")
# Text around a number that makes it a name, not a quantity: "section 6", "assignment 3", years.
# Exponents and subscripts in LaTeX (10^{-16}, x_1) are part of a symbol, not quoted quantities.
SYMBOL_PART = re.compile(r"[\^_]\{?-?$")
REFERENCE = re.compile(
    r"(?:section|sections|§|assignment|assignments|exercise|question|class|classes|repeat|cell|"
    r"step|steps|figure|points?|chapter)\s+$", re.I)
CITATION_YEAR = re.compile(r"^(?:19|20)\d\d$")
CLAIM = re.compile(r"should see", re.I)
# A paragraph starting like this is a new topic, not the continuation of a "should see" note.
NEW_TOPIC = re.compile(r"^(?:#|\*\*|\*Think|Explore|Now |Here |The next cell)")


def normalise(token):
    """``'2,250'`` -> ``'2250'``; signs are not part of a token (``−82°`` and ``-82°`` match)."""
    return token.replace(",", "")


def numbers_in(text):
    """The normalised number tokens of ``text`` that state a quantity (not a section or a year)."""
    text = text.replace("{,}", ",")  # LaTeX's thousands separator, 47{,}613
    found = []
    for match in NUMBER.finditer(text):
        token = match.group().rstrip(",")
        before = text[max(0, match.start() - 20):match.start()]
        if REFERENCE.search(before) or SYMBOL_PART.search(before) or CITATION_YEAR.match(token):
            continue
        found.append(normalise(token))
    return found


def claim_text(markdown):
    """The paragraphs of a markdown cell that say what the student should see, and their sequels."""
    claims, inside = [], False
    for paragraph in re.split(r"\n\s*\n", markdown):
        paragraph = paragraph.strip()
        inside = bool(CLAIM.search(paragraph)) or (inside and not NEW_TOPIC.match(paragraph))
        if inside:
            claims.append(paragraph)
    return "\n\n".join(claims)


def _rounded(token, decimals):
    try:
        value = Decimal(token)
    except InvalidOperation:
        return set()
    step = Decimal(1).scaleb(-decimals)
    return {str(value.quantize(step, rounding=mode)) for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN)}


def is_shown(token, shown):
    """``token`` is among ``shown``, or is one of them rounded to the decimals ``token`` has."""
    if token in shown:
        return True
    decimals = len(token.partition(".")[2])
    return any(token in _rounded(candidate, decimals) for candidate in shown
               if len(candidate.partition(".")[2]) > decimals)


def _plain(token):
    """Single-digit integers (2 ears, p = 1) are words more than quantities: not checked."""
    return token.isdigit() and len(token) == 1


def output_text(cell):
    """Everything a code cell printed or displayed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def unquoted_numbers(notebook):
    """Numbers that a "you should see" cell quotes but no earlier cell shows.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    list of (int, str)
        (cell index, number as written) for each number not shown above its cell.
    """
    shown = set()
    missing = []
    for index, cell in enumerate(notebook.cells):
        graded_answer = cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "markdown"
        if cell.cell_type == "markdown" and not graded_answer:
            missing += [(index, token) for token in numbers_in(claim_text(cell.source))
                        if not _plain(token) and not is_shown(token, shown)]
            shown.update(numbers_in(cell.source))  # later cells may repeat what this one stated
        elif cell.cell_type == "code":
            shown.update(numbers_in(cell.source))
            shown.update(numbers_in(output_text(cell)))
    return missing


def unquoted_numbers_in_file(path):
    return unquoted_numbers(nbformat.read(path, as_version=4))
