# Forecast windows (Caucheteux, Gramfort & King 2023): each model of `forecast.models` with
# its chosen layers alone and with the stimulus ahead (words for a language model, seconds
# for a speech model), scored by the brain-score method (the same ridge, folds and ceilings);
# per dataset, the gain of each window per ROI and its figure.


rule forecast_features:
    input:
        unpack(forecast_feature_inputs),
    output:
        directory(P.MODEL_FORECAST),
    params:
        settings=settings("features", "forecast", "dataset", "model"),
        spec=PLAN.features,
        forecast=PLAN.forecast,
        model=feature_model,
        dataset=listening_dataset,
        files=forecast_feature_files,
    log:
        "logs/forecast/{dataset}/{model}.features.log",
    benchmark:
        "benchmarks/forecast/{dataset}/{model}.features.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=feature_gpus,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/features.py"


# The brain-score job's script on the forecast feature sets, without the per-layer
# permutation test (the gains are judged across listeners).
rule forecast_scores:
    input:
        unpack(forecast_score_inputs),
    output:
        scores=P.FORECAST_SCORES,
        rois=P.FORECAST_ROIS,
    params:
        settings=settings("scores", "forecast"),
        sources=result_sources,
        spec=PLAN.forecast_scores,
        runs=run_files,
        features=forecast_feature_files,
        seed=PLAN.seed,
    log:
        "logs/forecast/{dataset}/{model}.scores.log",
    benchmark:
        "benchmarks/forecast/{dataset}/{model}.scores.tsv"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=1,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/brain_scores.py"


rule forecast_gains:
    input:
        unpack(forecast_gain_inputs),
    output:
        P.FORECAST_GAINS,
    params:
        settings=settings("scores", "forecast"),
        sources=forecast_sources,
        spec=PLAN.scores,
        models=PLAN.forecast.models,
        units=PLAN.forecast_units,
        seed=PLAN.seed,
    log:
        "logs/forecast/{dataset}/gains.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/forecast_gains.py"


rule forecast_figure:
    input:
        P.FORECAST_GAINS,
    output:
        report(
            P.FIGURE.fix(figure="forecast"),
            caption="../report/forecast.rst",
            category="Forecast windows",
            labels={"dataset": "{dataset}", "figure": "forecast windows"},
        ),
    params:
        sources=forecast_sources,
    log:
        "logs/figures/{dataset}_forecast.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/forecast_figure.py"
