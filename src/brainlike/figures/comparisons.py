"""The comparisons of Millet et al. 2022: self-supervised models against their controls
(random initialisation, supervised training, non-speech training), native against non-native
training language, and the training curves behind them.

Brain scores come from the group and subject rows of ``results/summary/<dataset>.parquet``;
a model's best layer is always chosen on the group row (see ``best_rows``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on batch nodes or CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from brainlike.figures.brainscores import METRIC, group_rows, roi_order, save_figure  # noqa: E402
from brainlike.plan.roster import ROLES, RosterEntry  # noqa: E402
from brainlike.preprocess.participants import listener_attribute  # noqa: E402

ROLE_COLOURS = {"pretrained": "tab:purple", "self-supervised": "tab:blue", "supervised": "tab:orange",
                "language-model": "tab:red", "shuffled-context": "tab:pink",
                "non-speech": "tab:green", "random": "tab:grey"}
#: participants.tsv column with each subject's native language (the generator writes it).
LANGUAGE_COLUMN = "native_language"
#: Training-log terms worth a panel; other terms (lr, throughput) say nothing about learning.
CURVE_TERMS = ("loss", "masked_accuracy", "accuracy")
TABLE_COLUMNS = ["roi", "subject", "subject_language", "model", "model_language", "layer",
                 "native", METRIC]


def model_roles(roster: dict[str, RosterEntry]) -> pd.DataFrame:
    """One row per model of the plan's roster: model, role, objective and training language
    ("en", "+"-joined collections for a multilingual model, NA for random init)."""
    return pd.DataFrame([(e.model, e.role, e.objective, e.language) for e in roster.values()],
                        columns=["model", "role", "objective", "language"])


def subject_languages(ds, root: str | Path, column: str = LANGUAGE_COLUMN) -> dict[str, str]:
    """participant_id -> native language ({} where the dataset cannot say)."""
    return listener_attribute(ds, root, column, required=False)


def best_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """The whole group row (score and CI) of each model's best layer per ROI."""
    # Selecting the layer on the group mean keeps per-subject scores honest: a per-subject
    # argmax would pick each subject's luckiest layer and inflate every comparison.
    group = group_rows(summary)
    group = group[group[METRIC].notna()]
    return group.loc[group.groupby(["model", "roi"])[METRIC].idxmax()].reset_index(drop=True)


def _text_figure(message: str, path: str | Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=9)
    ax.set_axis_off()
    save_figure(fig, path)


def controls_figure(summary: pd.DataFrame, roles: pd.DataFrame, path: str | Path) -> None:
    """Per ROI: each model's best-layer group score with its 95 % CI, coloured by role.

    Baselines (scored but absent from ``roles``) are drawn last in light grey, hatched: they
    show what a fixed, hand-made feature reaches in the same ROI.
    """
    best = best_rows(summary)
    role_of = dict(zip(roles["model"], roles["role"]))
    present = list(dict.fromkeys(best["model"]))
    models = [m for r in ROLES for m in present if role_of.get(m) == r]
    models += [m for m in present if m not in role_of]
    rois = roi_order(best)
    width = 1.5 + (0.35 * len(models) + 0.6) * len(rois)
    fig, axes = plt.subplots(1, len(rois), figsize=(width, 3.6), squeeze=False, sharey=True,
                             layout="constrained")
    x = np.arange(len(models))
    for ax, roi in zip(axes[0], rois):
        part = best[best["roi"] == roi].set_index("model").reindex(models)
        score = part[METRIC].to_numpy(float)
        # A percentile CI can miss the mean by a hair; matplotlib rejects negative error bars.
        err = np.clip([score - part["ci_low"].to_numpy(float),
                       part["ci_high"].to_numpy(float) - score], 0, None)
        colours = [ROLE_COLOURS.get(role_of.get(m), "lightgrey") for m in models]
        bars = ax.bar(x, score, color=colours, yerr=err, capsize=2, ecolor="black",
                      error_kw={"lw": 0.8})
        for bar, model in zip(bars, models):
            if model not in role_of:
                bar.set_hatch("//")
        ax.set_xticks(x, models, rotation=60, ha="right", fontsize=7)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(roi, fontsize=9)
    axes[0][0].set_ylabel("best-layer brain score (r / ceiling)")
    shown = {role_of.get(m) for m in models}
    labels = [r for r in ROLES if r in shown]
    handles = [plt.Rectangle((0, 0), 1, 1, color=ROLE_COLOURS[r]) for r in labels]
    if any(m not in role_of for m in models):
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="lightgrey", edgecolor="black",
                                     hatch="//", lw=0))
        labels.append("baseline")
    fig.legend(handles, labels, fontsize=7, frameon=False, loc="outside right center")
    save_figure(fig, path)


def native_table(summary: pd.DataFrame, roles: pd.DataFrame,
                 subject_language: dict[str, str]) -> pd.DataFrame:
    """Per ROI, subject and single-language self-supervised model: the subject's score at the
    model's group-best layer, and whether the model's language is the subject's own."""
    ssl = roles[(roles["role"] == "self-supervised") & roles["language"].notna()]
    # A multilingual model is native to some subjects only in part; leave it out.
    ssl = ssl[~ssl["language"].str.contains("+", regex=False)]
    best = best_rows(summary)[["model", "roi", "layer"]]
    best = best.merge(ssl[["model", "language"]].rename(columns={"language": "model_language"}),
                      on="model")
    subjects = summary[summary["subject"] != "group"]
    table = subjects.merge(best, on=["model", "roi", "layer"])
    table = table.assign(subject_language=table["subject"].map(subject_language))
    table = table[table["subject_language"].notna() & table[METRIC].notna()]
    table = table.assign(native=table["model_language"] == table["subject_language"])
    return (table[TABLE_COLUMNS].sort_values(["roi", "subject", "model"])
            .reset_index(drop=True).astype({"native": bool, "subject_language": str}))


def native_means(table: pd.DataFrame, by: tuple[str, ...] = ("roi", "native")) -> pd.DataFrame:
    """Per ``by`` group (ROI and native/non-native by default): the mean over subjects of each
    subject's mean score.

    Averaging within the subject first weighs every subject once, however many models of
    each kind it was scored with.
    """
    per_subject = table.groupby([*by, "subject"])[METRIC].mean()
    means = per_subject.groupby(list(by)).agg(["mean", "count"])
    return means.rename(columns={"mean": METRIC, "count": "n_subjects"}).reset_index()


def native_figure(summary: pd.DataFrame, roles: pd.DataFrame,
                  subject_language: dict[str, str], path: str | Path) -> pd.DataFrame:
    """Per ROI, native vs non-native mean brain score (bars) and the same per subject-language
    group (lines). Returns the tidy table behind it (``native_table``)."""
    table = native_table(summary, roles, subject_language)
    if table.empty or table["native"].nunique() < 2:
        _text_figure("No native vs non-native contrast: the scored self-supervised models and "
                     "the subjects' native languages (participants.tsv) do not give both "
                     f"kinds of pair ({len(table)} subject-model rows).", path)
        return table
    means = native_means(table)
    by_language = ("roi", "subject_language", "native")
    groups = native_means(table, by_language).set_index(list(by_language))[METRIC]
    rois = roi_order(table)
    languages = sorted(table["subject_language"].unique())
    fig, axes = plt.subplots(1, len(rois), figsize=(0.5 + 2.2 * len(rois), 3.4), squeeze=False,
                             sharey=True)
    for ax, roi in zip(axes[0], rois):
        part = means[means["roi"] == roi].set_index("native")[METRIC]
        ax.bar([0, 1], [part.get(True, np.nan), part.get(False, np.nan)], 0.6,
               color=["tab:blue", "lightsteelblue"])
        for i, lang in enumerate(languages):
            y = [groups.get((roi, lang, True), np.nan), groups.get((roi, lang, False), np.nan)]
            ax.plot([0, 1], y, marker="o", ms=4, color=f"C{i + 1}", label=f"{lang} subjects")
        ax.set_xticks([0, 1], ["native", "non-native"], fontsize=8)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(roi, fontsize=9)
    axes[0][0].set_ylabel("brain score (r / ceiling)")
    axes[0][-1].legend(fontsize=7, frameon=False)
    save_figure(fig, path)
    return table


def training_curves(logs: dict[str, pd.DataFrame], path: str | Path) -> None:
    """Loss and accuracy terms against step, a line per model (traininglog/1 frames)."""
    logs = {m: log for m, log in logs.items() if not log.empty}
    if not logs:
        _text_figure("No training curves: every selected model is an untrained control.", path)
        return
    present = {t for log in logs.values() for t in log["term"].unique()}
    terms = [t for t in CURVE_TERMS if t in present]
    if not terms:
        _text_figure(f"No loss or accuracy terms in the training logs of {sorted(logs)}.", path)
        return
    fig, axes = plt.subplots(1, len(terms), figsize=(1.5 + 3.6 * len(terms), 3.2),
                             squeeze=False, layout="constrained")
    for ax, term in zip(axes[0], terms):
        for i, (model, log) in enumerate(logs.items()):
            part = log[log["term"] == term].sort_values("step")
            if not part.empty:
                ax.plot(part["step"], part["value"], lw=0.8, color=f"C{i}", label=model)
        ax.set_xlabel("step")
        ax.set_title(term, fontsize=9)
    # One legend for all panels: a model without an accuracy term still appears.
    handles = {h.get_label(): h for ax in axes[0] for h in ax.get_lines()}
    fig.legend(list(handles.values()), list(handles), fontsize=7, frameon=False,
               loc="outside right center")
    save_figure(fig, path)
