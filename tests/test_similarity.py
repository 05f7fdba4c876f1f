"""``python -m autograder similarity``: planted copies are found, correct answers written differently are not.

The example submissions (autograder/<assignment>/examples.py) give each assignment's
independent correct solutions: the model answer and the alternatives that rewrite
every answer cell. Planted copies of assignment 1's alternatives disguise them the
ways students do: renamed variables, statements moved around, comments changed.
"""
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.examples import (Example, build_submission, examples_for, model_answers, replace_solution_region,
                                 write_examples)
from autograder.__main__ import main
from autograder.similarity import OTHER_CODE, find_similar, write_similarity_report
from conftest import ASSIGNMENTS, REPO, make_course_dir

A1 = "a1_lnp_sta"
STA, WHITENED, NONLINEARITY = "compute_STA", "compute_whitened_STA", "estimate_nonlinearity"

# Copies of the examples "alternative-loops" and "alternative-numpy" (every answer cell).
COPIES = {
    "copy-renamed": ("alternative-loops", {
        STA: "    acc = np.zeros(images.shape[1])\n"
             "    for img, n in zip(images, spike_counts):\n"
             "        acc = acc + n * img\n"
             "    return acc / spike_counts.sum()\n",
        WHITENED: "    x0 = images - images.mean(axis=0)\n"
                  "    c = x0.T @ x0 / len(images)  # normalised by n\n"
                  "    c = c + ridge * np.eye(images.shape[1])\n"
                  "    return np.linalg.inv(c) @ (compute_STA(images, spike_counts) - images.mean(axis=0))\n",
        NONLINEARITY: "    lo, hi = generator_signal.min(), generator_signal.max()\n"
                      "    w = (hi - lo) / n_bins\n"
                      "    mids, avg = [], []\n"
                      "    for i in range(n_bins):\n"
                      "        a, b = lo + i * w, lo + (i + 1) * w\n"
                      "        sel = (generator_signal > a) & (generator_signal <= b)  # (a, b] bins\n"
                      "        if i == 0:\n"
                      "            sel |= generator_signal == lo\n"
                      "        mids.append((a + b) / 2)\n"
                      "        avg.append(spike_counts[sel].mean() if sel.any() else np.nan)\n"
                      "    return np.array(mids), np.array(avg)\n",
    }),
    "copy-reordered": ("alternative-loops", {
        STA: "    total = np.zeros(images.shape[1])\n"
             "    for image, count in zip(images, spike_counts):\n"
             "        total = total + count * image\n"
             "    return total / spike_counts.sum()\n",
        WHITENED: "    centred = images - images.mean(axis=0)\n"
                  "    covariance = centred.T @ centred / len(images)\n"
                  "    covariance = covariance + ridge * np.eye(images.shape[1])\n"
                  "    sta = compute_STA(images, spike_counts)\n"
                  "    return np.linalg.inv(covariance) @ (sta - images.mean(axis=0))\n",
        NONLINEARITY: "    centres, means = [], []\n"
                      "    low, high = generator_signal.min(), generator_signal.max()\n"
                      "    width = (high - low) / n_bins\n"
                      "    for b in range(n_bins):\n"
                      "        left, right = low + b * width, low + (b + 1) * width\n"
                      "        centres.append((left + right) / 2)\n"
                      "        in_bin = (generator_signal > left) & (generator_signal <= right)\n"
                      "        if b == 0:\n"
                      "            in_bin |= generator_signal == low\n"
                      "        means.append(spike_counts[in_bin].mean() if in_bin.any() else np.nan)\n"
                      "    return np.array(centres), np.array(means)\n",
    }),
    "copy-comments": ("alternative-numpy", {
        STA: "    # weighted average: each image counts once per spike\n"
             "    return np.average(images, axis=0, weights=spike_counts)\n",
        WHITENED: "    # covariance of the pixels, regularised\n"
                  "    covariance = np.cov(images.T, ddof=1) + ridge * np.identity(images.shape[1])\n"
                  "    sta = np.einsum('i,ij->j', spike_counts, images) / spike_counts.sum()  # the plain STA\n"
                  "    # solve instead of inverting\n"
                  "    return np.linalg.lstsq(covariance, sta - images.mean(0), rcond=None)[0]\n",
        NONLINEARITY: "    images_per_bin, edges = np.histogram(generator_signal, bins=n_bins)  # how many images\n"
                      "    spikes_per_bin, _ = np.histogram(generator_signal, bins=edges, weights=spike_counts)\n"
                      "    with np.errstate(invalid='ignore', divide='ignore'):  # empty bins give NaN\n"
                      "        means = spikes_per_bin / images_per_bin\n"
                      "    return (edges[1:] + edges[:-1]) / 2, means  # centres, mean counts\n",
    }),
}


def released_course(tmp_path, assignment):
    """A course folder with the committed release notebooks and every example submission (nothing graded)."""
    course = make_course_dir(tmp_path / "course", [assignment])
    shutil.copytree(REPO / "release" / assignment, course / "release" / assignment)
    write_examples(course, assignment)
    return course


def plant(course, assignment, student, answers):
    for release_path in sorted((course / "release" / assignment).glob("*.ipynb")):
        release = nbformat.read(release_path, as_version=4)
        source = nbformat.read(course / "source" / assignment / release_path.name, as_version=4)
        target = course / "submitted" / student / assignment / release_path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_submission(release, source, Example(student, answers=answers)), target)


def independent_solutions(assignment):
    """Answer cell -> {example: its code}: the model answer and each alternative's own, all different."""
    source = nbformat.read(next((REPO / "source" / assignment).glob("*.ipynb")), as_version=4)
    solutions = {grade_id: {"perfect": code} for grade_id, code in model_answers(source).items()}
    for example in examples_for(assignment):
        if example.student.startswith("alternative"):
            for grade_id, code in example.answers.items():
                if code not in solutions[grade_id].values():
                    solutions[grade_id][example.student] = code
    return solutions


def plant_one_answer(course, assignment, student, grade_id, code):
    """A submission answering only ``grade_id`` (every other answer cell left as released)."""
    release_path = next((course / "release" / assignment).glob("*.ipynb"))
    source = nbformat.read(course / "source" / assignment / release_path.name, as_version=4)
    stub = next(cell.source for cell in source.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    notebook = nbformat.read(release_path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = replace_solution_region(stub, code)
    target = course / "submitted" / student / assignment / release_path.name
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)


def flagged(report):
    return {frozenset(pair.students) for pair in report.pairs}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    course = released_course(tmp_path_factory.mktemp("planted"), A1)
    for student, (_, answers) in COPIES.items():
        plant(course, A1, student, answers)
    return course, find_similar(course, A1)


@pytest.mark.parametrize("copy", sorted(COPIES))
def test_a_disguised_copy_is_paired_with_its_original_and_nothing_else_of_its_kind(planted, copy):
    course, report = planted
    original = COPIES[copy][0]
    assert frozenset({copy, original}) in flagged(report)
    pair = next(pair for pair in report.pairs if set(pair.students) == {copy, original})
    assert min(pair.similarity) >= 0.6, pair.similarity
    others = {"perfect", "alternative-loops", "alternative-numpy"} - {original}
    assert not [other for other in others if frozenset({copy, other}) in flagged(report)]


def test_the_three_copies_of_one_original_are_paired_with_each_other(planted):
    course, report = planted
    assert frozenset({"copy-renamed", "copy-reordered"}) in flagged(report)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_independent_correct_solutions_are_not_flagged(assignment, tmp_path):
    """Each answer cell's different correct solutions, one per submission: no pair is listed."""
    course = make_course_dir(tmp_path / "course", [assignment])
    shutil.copytree(REPO / "release" / assignment, course / "release" / assignment)
    solutions = independent_solutions(assignment)
    for grade_id, by_example in solutions.items():
        for example, code in by_example.items():
            plant_one_answer(course, assignment, f"{grade_id}-{example}", grade_id, code)
    assert sum(len(by_example) > 1 for by_example in solutions.values()) >= 1
    report = find_similar(course, assignment)
    assert len(report.students) == sum(len(by_example) for by_example in solutions.values())
    assert report.pairs == [], [(pair.students, pair.similarity) for pair in report.pairs]


def test_the_stub_and_the_notebook_code_are_not_counted(tmp_path):
    """Two blank notebooks, and two that only paste the notebook's own code into an extra cell, are not alike."""
    course = released_course(tmp_path, A1)
    release = nbformat.read(next((course / "release" / A1).glob("*.ipynb")), as_version=4)
    given = "\n".join(cell.source for cell in release.cells
                      if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"))
    for student in ("pastes-notebook-1", "pastes-notebook-2"):
        notebook = nbformat.from_dict(release)
        notebook.cells.append(nbformat.v4.new_code_cell(given))
        target = course / "submitted" / student / A1 / "lnp_sta.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)
    shutil.copytree(course / "submitted" / "blank", course / "submitted" / "blank-2")
    report = find_similar(course, A1)
    assert "blank" in report.students and "pastes-notebook-1" in report.students
    involved = {student for pair in report.pairs for student in pair.students}
    assert not involved & {"blank", "blank-2", "pastes-notebook-1", "pastes-notebook-2"}


def test_an_unreadable_submission_is_named_and_the_rest_compared(tmp_path):
    course = released_course(tmp_path, A1)
    broken = course / "submitted" / "broken" / A1 / "lnp_sta.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ not json')
    report = find_similar(course, A1)
    assert "broken" in report.unreadable and "broken" not in report.students
    assert "perfect" in report.students


def test_command_writes_a_side_by_side_page_with_the_shared_code_marked(planted):
    course, _ = planted
    output = course / "reports" / f"{A1}-similarity.html"
    process = subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "similarity", A1],
                             capture_output=True, text=True, cwd=REPO)
    assert process.returncode == 0, process.stderr
    assert "copy-renamed / copy-reordered" in process.stdout or "copy-reordered / copy-renamed" in process.stdout
    page = output.read_text()
    section = page.split('id="pair-')[1:]
    renamed = next(text for text in section if "copy-renamed" in text and "alternative-loops" in text)
    assert renamed.count("<pre>") == 6  # three cells, side by side
    assert "<mark>" in renamed and "acc = acc + n * img" in re.sub(r"</?mark>", "", renamed)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_student_code_is_escaped_in_the_page(tmp_path):
    course = released_course(tmp_path, A1)
    hostile = {STA: "    '''</pre><script>alert(1)</script>'''\n"
                    "    total = np.zeros(images.shape[1])\n"
                    "    for image, count in zip(images, spike_counts):\n"
                    "        total = total + count * image\n"
                    "    return total / spike_counts.sum()\n"}
    plant(course, A1, "hostile-1", hostile)
    plant(course, A1, "hostile-2", hostile)
    report = find_similar(course, A1)
    assert frozenset({"hostile-1", "hostile-2"}) in flagged(report)
    page = write_similarity_report(report, tmp_path / "page.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_code_outside_the_answer_cells_is_compared_too(tmp_path):
    course = released_course(tmp_path, A1)
    helper = ("def weighted_sum(rows, weights):\n"
              "    acc = np.zeros(rows.shape[1])\n"
              "    for row, weight in zip(rows, weights):\n"
              "        acc = acc + weight * row\n"
              "    return acc\n")
    for student in ("helper-1", "helper-2"):
        target = course / "submitted" / student / A1 / "lnp_sta.ipynb"
        target.parent.mkdir(parents=True)
        notebook = nbformat.read(course / "submitted" / "blank" / A1 / "lnp_sta.ipynb", as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(helper))
        nbformat.write(notebook, target)
    report = find_similar(course, A1)
    pair = next(pair for pair in report.pairs if set(pair.students) == {"helper-1", "helper-2"})
    assert [match.cell for match in pair.matches] == [OTHER_CODE]


def test_an_assignment_without_a_release_is_refused_with_the_reason(tmp_path, capsys):
    course = make_course_dir(tmp_path / "course", [A1])
    assert main(["--course-dir", str(course), "similarity", A1]) == 2
    assert "no release notebook" in capsys.readouterr().err
