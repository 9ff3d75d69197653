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
        models=_selected("models", config["models"]),
    log:
        "logs/figures/{dataset}.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/brain_score_figures.py"
