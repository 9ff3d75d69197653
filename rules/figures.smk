# Figures for people, flagged for `snakemake --report results/report.html`.


rule brain_score_figures:
    input:
        summary="results/summary/{dataset}.parquet",
    output:
        profiles=report(
            "results/figures/{dataset}/layer_profiles.svg",
            caption="../report/layer_profiles.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "layer profiles"},
        ),
        best=report(
            "results/figures/{dataset}/best_layer.svg",
            caption="../report/best_layer.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "best layer per ROI"},
        ),
        models=report(
            "results/figures/{dataset}/models_by_roi.svg",
            caption="../report/models_by_roi.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "models per ROI"},
        ),
    params:
        models=TARGET_MODELS,
    log:
        "logs/figures/{dataset}.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/brain_score_figures.py"


rule comparison_figures:
    input:
        summary="results/summary/{dataset}.parquet",
        manifest="data/raw/{dataset}.manifest.json",
    output:
        controls=report(
            "results/figures/{dataset}/ssl_vs_controls.svg",
            caption="../report/ssl_vs_controls.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "self-supervised vs controls"},
        ),
        native=report(
            "results/figures/{dataset}/native_language.svg",
            caption="../report/native_language.rst",
            category="Brain scores",
            labels={"dataset": "{dataset}", "figure": "native vs non-native language"},
        ),
        table="results/figures/{dataset}/native_language.parquet",
    params:
        models=config["models"],
        raw=raw_root,
    log:
        "logs/figures/{dataset}_comparisons.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/comparison_figures.py"


rule training_curve_figure:
    input:
        logs=expand(
            "models/{model}/training_log.parquet",
            model=TARGET_MODELS,
        ),
    output:
        report(
            "results/figures/training_curves.svg",
            caption="../report/training_curves.rst",
            category="Training",
            labels={"figure": "training curves"},
        ),
    params:
        models=TARGET_MODELS,
    log:
        "logs/figures/training_curves.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/training_curves.py"
