"""The layout of Le Petit Prince (OpenNeuro ds003643, Li et al. 2022): file names, sections,
listeners' languages, and its word table. docs/lpp-layout.md describes the real dataset.

Each listener heard the nine sections of the audiobook in their own language, one section a
run. A section is a story: ``story(language, section)`` (e.g. ``lppFR_section3``, the stem of
its TextGrid). The run labels in the file names are scanner series numbers, not sections:
they start anywhere (run-04, run-15) and skip numbers, so a subject's k-th run in sorted
order is section k (``section_runs``). There is no events.tsv: the preprocessed runs start
with the section's audio (onset 0) and keep a few volumes after it ends (``TAIL_VOLUMES``).

The language is the subject label's prefix (sub-EN057, sub-FR001, sub-CN001) and the task's
suffix (lppEN, lppFR, lppCN); participants.tsv has no language column. Only the standard
library is imported at module level so that the plan can use the path functions.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

from brainlike.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

#: Dataset language code -> our language code (the speech models' training languages).
LANGUAGES = {"EN": "en", "FR": "fr", "CN": "zh"}
SECTIONS = tuple(range(1, 10))
SPACE = "MNIColin27"
TR = 2.0
#: Volumes the preprocessed runs keep after the section's audio ends (dataset README).
TAIL_VOLUMES = {"EN": 4, "FR": 2, "CN": 0}
#: Columns of participants.tsv in the real dataset.
PARTICIPANT_COLUMNS = ("participant_id", "age", "sex", "correct_quiz_questions",
                       "total_quiz_questions")

_SUBJECT = re.compile(r"^sub-(EN|FR|CN)(\d+)$")
_RUN = re.compile(r"^(sub-[A-Za-z0-9]+)_task-(lpp(?:EN|FR|CN))_run-(\d+)_space-" + SPACE
                  + r"_desc-preproc_bold\.nii\.gz$")


def dataset_language(subject: str) -> str:
    """EN, FR or CN from a subject label such as ``sub-FR001``."""
    m = _SUBJECT.match(subject)
    if not m:
        raise ValueError(f"{subject!r} is not a Le Petit Prince subject (sub-EN/FR/CN<digits>)")
    return m.group(1)


def listener_language(subject: str) -> str:
    """The listener's native language as the models name it (en, fr, zh)."""
    return LANGUAGES[dataset_language(subject)]


def task(language: str) -> str:
    """The BIDS task of a language: lppEN, lppFR, lppCN."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {sorted(LANGUAGES)}")
    return f"lpp{language}"


def story(language: str, section: int) -> str:
    """The story id of a section, e.g. ``lppFR_section3`` (its TextGrid's stem)."""
    _check_section(section)
    return f"{task(language)}_section{section}"


def parse_story(name: str) -> tuple[str, int]:
    """(language, section) of a story id made by ``story``."""
    m = re.fullmatch(r"lpp(EN|FR|CN)_section(\d+)", name)
    if not m:
        raise ValueError(f"{name!r} is not a Le Petit Prince story (lppXX_section<k>)")
    return m.group(1), int(m.group(2))


def _check_section(section: int) -> None:
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {SECTIONS}, found {section!r}")


# -- file names, relative to the dataset root -------------------------------------------------

def audio(language: str, section: int) -> str:
    """The section's audio; English names it ``section-1``, French and Mandarin ``section_1``."""
    _check_section(section)
    sep = "-" if language == "EN" else "_"
    return f"stimuli/task-{task(language)}_section{sep}{section}.wav"


def textgrid(language: str, section: int) -> str:
    _check_section(section)
    return f"annotation/{language}/{task(language)}_section{section}.TextGrid"


def word_information(language: str) -> str:
    """One table of all sections' words with their predictors (column ``section``)."""
    return f"annotation/{language}/{task(language)}_word_information.csv"


def derivative_dir(subject: str) -> str:
    return f"derivatives/{subject}/func"


def bold(subject: str, run: int) -> str:
    """A preprocessed run (MNI Colin27, 2 mm); ``run`` is the label in the file name."""
    t = task(dataset_language(subject))
    return f"{derivative_dir(subject)}/{subject}_task-{t}_run-{run:02d}_space-{SPACE}_desc-preproc_bold.nii.gz"


def sidecar(subject: str, run: int, echo: int = 1) -> str:
    """The raw run's JSON sidecar (RepetitionTime); the derivatives have none of their own."""
    t = task(dataset_language(subject))
    return f"{subject}/func/{subject}_task-{t}_run-{run:02d}_echo-{echo}_bold.json"


# -- sections -----------------------------------------------------------------------------

def run_labels(names: list[str], subject: str) -> list[int]:
    """The run labels of ``subject``'s preprocessed runs among file names (any order)."""
    t = task(dataset_language(subject))
    labels = []
    for name in names:
        m = _RUN.match(Path(name).name)
        if m and m.group(1) == subject:
            if m.group(2) != t:
                raise InputError(name, f"{subject} is a {t} listener but the run is {m.group(2)}")
            labels.append(int(m.group(3)))
    return sorted(labels)


def section_runs(root: str | Path, subject: str,
                 sections: tuple[int, ...] = SECTIONS) -> dict[int, int]:
    """section -> run label for ``subject``, from the names in its derivatives folder.

    Works on a fresh clone (annexed files are present as links before ``datalad get``). The
    k-th run in sorted order is the k-th of ``sections`` (all nine in the real dataset); a
    subject with another number of runs is an error, since which section is missing cannot
    be told from the names.
    """
    folder = Path(root) / derivative_dir(subject)
    if not folder.is_dir():
        raise InputError(folder, f"no derivatives folder for {subject}")
    labels = run_labels([p.name for p in folder.iterdir()], subject)
    if len(labels) != len(sections):
        raise InputError(folder, f"{subject} has {len(labels)} preprocessed runs "
                         f"(run labels {labels}); sections are told apart by run order, so "
                         f"all {len(sections)} are needed")
    return dict(zip(sections, labels))


def expected_volumes(language: str, audio_seconds: float, tr: float = TR) -> tuple[int, int]:
    """(fewest, most) volumes a preprocessed run of that audio may have: the audio's TRs
    plus the language's tail, give or take the one volume the dataset's own counts vary by."""
    n = round(audio_seconds / tr) + TAIL_VOLUMES[language]
    return n - 1, n + 1


# -- participants and words ----------------------------------------------------------------

def participant_languages(participants: str | Path) -> dict[str, str]:
    """participant_id -> native language (en, fr, zh) for every row of participants.tsv.

    The language comes from the id's prefix; an id without one is an error naming the file.
    The real file starts with a UTF-8 byte-order mark, which ``utf-8-sig`` removes.
    """
    path = Path(participants)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"unreadable participants table ({exc})") from exc
    if not rows or "participant_id" not in rows[0]:
        raise InputError(path, "participants table has no participant_id column or no rows")
    out = {}
    for row in rows:
        subject = (row["participant_id"] or "").strip()
        try:
            out[subject] = listener_language(subject)
        except ValueError as exc:
            raise InputError(path, str(exc)) from exc
    return out


def read_word_information(path: str | Path, section: int
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(words, phonemes)`` of one section from ``lppXX_word_information.csv``.

    words: word, onset, offset (seconds from the start of the section's audio), sentence,
    position (-1: the table does not number them), then the table's other columns (lemma
    and the word-by-word predictors) as they are. Rows without a word (blank or missing, as
    the real tables have a few of) are skipped. phonemes: always empty (no phones).
    """
    import numpy as np
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError(path, "word table is missing (was it fetched with datalad get?)")
    try:
        # Only empty fields are missing: "NA" or "null" are words of the story.
        table = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""],
                            dtype={"word": str})
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"unreadable word table ({exc})") from exc
    table = table.loc[:, [c for c in table.columns if not str(c).startswith("Unnamed:")]]
    missing = [c for c in ("word", "onset", "offset", "section") if c not in table.columns]
    if missing:
        raise InputError(path, f"word table lacks columns {missing} (has "
                         f"{', '.join(map(str, table.columns))})")
    for col in ("onset", "offset", "section"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    rows = table[table["section"] == section].copy()
    rows["word"] = rows["word"].fillna("").str.strip()
    rows = rows[rows["word"] != ""]
    if rows.empty:
        raise InputError(path, f"word table holds no words of section {section}")
    times = rows[["onset", "offset"]].to_numpy()
    if not np.isfinite(times).all():
        raise InputError(path, f"section {section} has words without onset or offset")
    bad = rows[rows["offset"] < rows["onset"]]
    if len(bad):
        raise InputError(path, f"word {bad['word'].iloc[0]!r} of section {section} ends before "
                         "it starts")
    extra = [c for c in rows.columns if c not in ("word", "onset", "offset", "section")]
    words = pd.DataFrame({"word": rows["word"].to_numpy(),
                          "onset": rows["onset"].to_numpy(float),
                          "offset": rows["offset"].to_numpy(float),
                          "sentence": -1, "position": -1})
    for col in extra:
        words[col] = rows[col].to_numpy()
    return words, pd.DataFrame(columns=["phoneme", "onset", "offset", "word_index"])
