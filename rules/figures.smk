# Figures for people, flagged for `snakemake --report results/report.html`.


rule brain_score_figures:
    input:
        summary=P.SUMMARY,
    output:
        profiles=report(
            P.FIGURE.fix(figure="layer_profiles"),
            caption="../report/layer_profiles.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "layer profiles"},
        ),
        best=report(
            P.FIGURE.fix(figure="best_layer"),
            caption="../report/best_layer.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "best layer per ROI"},
        ),
        models=report(
            P.FIGURE.fix(figure="models_by_roi"),
            caption="../report/models_by_roi.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "models per ROI"},
        ),
    params:
        sources=result_sources,
        models=PLAN.speech_models,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/figures/{dataset}.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/brain_score_figures.py"


rule comparison_figures:
    input:
        summary=P.SUMMARY,
        manifest=P.MANIFEST.fix(name="{dataset}"),
    output:
        controls=report(
            P.FIGURE.fix(figure="ssl_vs_controls"),
            caption="../report/ssl_vs_controls.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "self-supervised vs controls"},
        ),
        native=report(
            P.FIGURE.fix(figure="native_language"),
            caption="../report/native_language.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "native vs non-native language"},
        ),
        table=P.NATIVE_TABLE,
    params:
        sources=result_sources,
        roster=PLAN.roster,
        dataset=listening_dataset,
        root=listening_raw,
    wildcard_constraints:
        dataset=PLAN.modality_wildcard("listening"),
    log:
        "logs/figures/{dataset}_comparisons.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/comparison_figures.py"


rule training_curve_figure:
    input:
        logs=PLAN.training_logs(),
    output:
        report(
            P.TRAINING_CURVES,
            caption="../report/training_curves.rst",
            category="Training",
            labels={"figure": "training curves"},
        ),
    params:
        sources=result_sources,
        models=PLAN.logged_models,
    log:
        "logs/figures/training_curves.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/training_curves.py"
