"""Every assignment through the whole nbgrader pipeline, as instructors and students use it.

source validates -> release fails -> release in sync -> example submissions graded
with exact per-cell scores -> feedback names the mistake and hides the hidden tests.
"""
import csv
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from nbgrader.validator import Validator
from traitlets.config import Config

from autograder.examples import examples_for
from autograder.grading import _gradebook_matches_source, format_table, generate_release, grade
from conftest import ASSIGNMENTS, REPO, make_course_dir
from notebook_text import unquoted_numbers_in_file

pytestmark = pytest.mark.slow
COURSE_CELL_TIMEOUT = 120  # nbgrader_config.py's c.Execute.timeout; nbgrader's own default is 30 s


def notebooks(folder, assignment):
    paths = sorted((REPO / folder / assignment).glob("*.ipynb"))
    assert paths, f"no notebook in {folder}/{assignment}"
    return paths


def graded_cells(path):
    """(grade_id, is_autograder_test, cell) for each graded cell."""
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            yield meta["grade_id"], cell.cell_type == "code" and not meta.get("solution"), cell


def failed_test_cells(path):
    """Test cells of an autograded notebook whose check raised (public checks are worth 0 points)."""
    return {grade_id for grade_id, is_test, cell in graded_cells(path)
            if is_test and any(output.output_type == "error" for output in cell.outputs)}


def test_public_checks_are_worth_nothing_and_hidden_checks_carry_the_points():
    """A public check's fixed example can be recognised and answered by rote: it earns no points."""
    for assignment in ASSIGNMENTS:
        for path in notebooks("source", assignment):
            points = {grade_id: cell.metadata["nbgrader"]["points"] for grade_id, is_test, cell in graded_cells(path)
                      if is_test}
            public = [grade_id for grade_id in points if grade_id.endswith("_public")]
            assert public, f"{path.name} has no public check"
            for grade_id in public:
                assert points[grade_id] == 0, (path.name, grade_id)
                assert points[grade_id.removesuffix("_public") + "_hidden"] > 0, (path.name, grade_id)


def region_lines(path, begin, end):
    """Lines of code or text inside ``begin``/``end`` regions (solutions, hidden tests)."""
    lines, inside = [], False
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines():
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_passes_every_test_cell(assignment, tmp_path):
    course = make_course_dir(tmp_path / "course", [assignment])
    for path in sorted((course / "source" / assignment).glob("*.ipynb")):
        results = Validator(config=Config({"Execute": {"timeout": COURSE_CELL_TIMEOUT}})).validate(str(path))
        assert results == {}, f"{path.name}: {json.dumps(results, indent=1)[:3000]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_runs_headless_without_errors_or_stderr(assignment, tmp_path):
    for path in notebooks("source", assignment):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        for index, cell in enumerate(notebook.cells):
            for output in cell.get("outputs", []):
                assert output.output_type != "error", f"cell {index}: {output.ename}: {output.evalue}"
                assert output.get("name") != "stderr", f"cell {index} wrote to stderr: {output.text[:500]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_fails_every_visible_test(assignment, tmp_path):
    """Blank release: each test cell with visible code fails; hidden-only cells show only comments."""
    course = make_course_dir(tmp_path / "course", [assignment])
    for release_path in notebooks("release", assignment):
        copy = course / release_path.name
        copy.write_text(release_path.read_text())
        # Validate's own list (nbgrader's inverted validation counts a failed 0-point cell as passed).
        failed = {cell["source"] for cell in Validator().validate(str(copy)).get("failed", [])}
        for _, is_test, cell in graded_cells(release_path):
            if is_test:
                hidden_only = all(line.strip().startswith("#") for line in cell.source.splitlines())
                assert (cell.source in failed) != hidden_only, (
                    f"a test cell {'fails' if hidden_only else 'passes'} on the blank release:\n{cell.source}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_in_sync_with_source(assignment, tmp_path):
    course = make_course_dir(tmp_path / "course", [assignment])
    generate_release(course, assignment)
    for committed in notebooks("release", assignment):
        regenerated = course / "release" / assignment / committed.name
        assert nbformat.read(regenerated, as_version=4) == nbformat.read(committed, as_version=4), (
            f"release/{assignment}/{committed.name} is stale: run `bash tasks.sh demo` and commit release/"
        )
    released = {path.name for path in (course / "release" / assignment).iterdir()}
    assert released == {path.name for path in (REPO / "release" / assignment).iterdir()}


def student_texts():
    """Text of every file students receive: release notebooks' cells and course/ sources."""
    texts = [cell.source for path in (REPO / "release").rglob("*.ipynb")
             for cell in nbformat.read(path, as_version=4).cells]
    texts += [path.read_text() for path in (REPO / "course").rglob("*.py")]
    return texts


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_or_hidden_test_reaches_students(assignment):
    texts = student_texts()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME", "Mark scheme", "autograder"):
        assert not [text for text in texts if marker in text], marker
    student_lines = {line.strip() for text in texts for line in text.splitlines()}
    for source in notebooks("source", assignment):
        secret = region_lines(source, "BEGIN SOLUTION", "END SOLUTION")
        secret += region_lines(source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
        assert secret, "expected solution regions in the source notebook"
        leaked = [line for line in secret if line in student_lines]
        assert leaked == [], f"solution or hidden-test lines found in release/ or course/: {leaked}"
        # No exercise is solved in course/: none of the functions students write is defined there.
        exercises = set(re.findall(r"^def (\w+)\(", "\n".join(
            cell.source for cell in nbformat.read(source, as_version=4).cells
            if cell.metadata.get("nbgrader", {}).get("solution")), flags=re.M))
        course_text = "\n".join(path.read_text() for path in (REPO / "course").rglob("*.py"))
        assert exercises and not [name for name in exercises if f"def {name}(" in course_text]


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded_examples(request, graded_example_course):
    """Every example submission of one assignment, graded once through the grading command."""
    assignment = request.param
    course, report = graded_example_course(assignment)
    print(format_table(report))
    return assignment, course, report


def test_examples_get_exactly_the_intended_cell_scores(graded_examples):
    assignment, course, report = graded_examples
    assert report.not_graded == {}
    notebook_paths = notebooks("source", assignment)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for example in examples_for(assignment):
            failed = {path.stem: failed_test_cells(course / "autograded" / example.student / assignment / path.name)
                      for path in notebook_paths}
            for path in notebook_paths:
                for grade_id, is_test, _ in graded_cells(path):
                    grade = gradebook.find_grade(grade_id, path.stem, assignment, example.student)
                    if not is_test and example.blank:  # nbgrader scores an untouched answer 0 itself
                        assert grade.score == 0 and not grade.needs_manual_grade, (example.student, grade_id)
                    elif not is_test:
                        assert grade.needs_manual_grade, (example.student, grade_id)
                    elif grade_id in example.loses:
                        assert grade.score == 0 and grade_id in failed[path.stem], (
                            example.student, grade_id, "should lose this cell")
                    else:
                        assert grade.score == grade.max_score and grade_id not in failed[path.stem], (
                            example.student, grade_id, "should earn this cell")


def test_every_number_the_text_quotes_is_shown_above_it(graded_examples):
    """The perfect submission as the grader executed it: each "you should see" number is printed above it."""
    assignment, course, report = graded_examples
    paths = sorted((course / "autograded" / "perfect" / assignment).glob("*.ipynb"))
    assert paths, "the perfect example was not autograded"
    for path in paths:
        assert unquoted_numbers_in_file(path) == [], (
            f"{assignment}/{path.name}: (cell, number) quoted in the text but not printed, set in code or "
            "stated above it")


def test_feedback_names_the_mistake_and_hides_the_checks(graded_examples):
    assignment, course, report = graded_examples
    hidden = [line for path in notebooks("source", assignment)
              for line in region_lines(path, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")]
    for example in examples_for(assignment):
        pages = list((course / "feedback" / example.student / assignment).glob("*.html"))
        assert pages, f"no feedback for {example.student}"
        html = "\n".join(page.read_text() for page in pages)
        assert example.diagnosis in html, f"{example.student}: feedback lacks {example.diagnosis!r}"
        assert "BEGIN HIDDEN TESTS" not in html and "autograder" not in html
        assert not [line for line in hidden if line in html]


def test_grade_table_and_csv_have_one_row_per_student(graded_examples):
    assignment, course, report = graded_examples
    students = sorted(example.student for example in examples_for(assignment))
    assert [result.student for result in report.results] == students
    with open(course / "reports" / f"{assignment}-cells.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student"] for row in rows] == students
    by_student = {row["student"]: row for row in rows}
    assert by_student["perfect"]["auto_score"] == by_student["perfect"]["auto_max"]
    assert by_student["perfect"]["diagnoses"] == ""
    for example in examples_for(assignment):
        for cell in example.loses:
            assert by_student[example.student][cell] == "0"
        if example.diagnosis:
            assert example.diagnosis in by_student[example.student]["diagnoses"]
    table = format_table(report)
    assert all(student in table for student in students)


def test_grading_refreshes_a_gradebook_whose_test_cells_are_stale(tmp_path):
    assignment = ASSIGNMENTS[0]
    course = make_course_dir(tmp_path / "course", [assignment])
    generate_release(course, assignment)
    assert _gradebook_matches_source(course, assignment)
    source = next((course / "source" / assignment).glob("*.ipynb"))
    notebook = nbformat.read(source, as_version=4)
    test_cell = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("points")
                     and not cell.metadata["nbgrader"].get("solution"))
    test_cell.source += "\n# edited after the release"
    nbformat.write(notebook, source)
    assert not _gradebook_matches_source(course, assignment)


def test_a_malformed_submission_is_reported_and_the_rest_graded(tmp_path):
    assignment = ASSIGNMENTS[0]
    course = make_course_dir(tmp_path / "course", [assignment])
    generate_release(course, assignment)
    release = notebooks("release", assignment)[0]
    good = course / "submitted" / "unchanged" / assignment
    good.mkdir(parents=True)
    (good / release.name).write_text(release.read_text())
    broken = course / "submitted" / "broken" / assignment
    broken.mkdir(parents=True)
    (broken / release.name).write_text('{"cells": [ not json')

    report = grade(course, assignment)
    assert [result.student for result in report.results] == ["unchanged"]
    assert "malformed JSON" in report.not_graded["broken"]
    assert "NOT GRADED" in format_table(report)
    with open(course / "reports" / f"{assignment}-cells.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert "malformed JSON" in rows["broken"]["not_graded"]
