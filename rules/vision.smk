# Vision: mice watching a movie (the Allen Brain Observatory 2P layout, DANDI 000728) and the
# vision models that watch it. Acquisition (`acquire`), training (`train_model`) and
# provenance are the speech rules'; these rules are the vision side of the same patterns:
# the movie is the one stimulus, cells replace vertices, areas replace ROIs.

rule simulate_viewing:
    output:
        record=P.VIEWING_SOURCE,
    params:
        settings=settings("dataset"),
        dataset=viewing_dataset,
        seed=PLAN.seed,
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/simulate/{dataset}.viewing.log",
    benchmark:
        "benchmarks/simulate/{dataset}.viewing.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/simulate_viewing.py"


rule simulate_video_corpus:
    output:
        record=P.CORPUS_SOURCE,
    params:
        settings=settings("corpus"),
        corpus=video_corpus,
        seed=PLAN.seed,
    wildcard_constraints:
        corpus=VIDEO_CORPORA,
    log:
        "logs/simulate/{corpus}.corpus.log",
    benchmark:
        "benchmarks/simulate/{corpus}.corpus.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/simulate_video_corpus.py"


# The NWB sessions to Parquet: the movie's frames (the stimulus), and the cells with every
# session's responses aligned to the movie's frames.
rule viewing_movie:
    input:
        unpack(viewing_inputs),
    output:
        P.STIMULUS,
    params:
        settings=settings("dataset"),
        dataset=viewing_dataset,
        root=lambda w: P.RAW.path(name=w.dataset),
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/preprocess/{dataset}/movie_{story}.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/viewing_parquet.py"


rule viewing_cells:
    input:
        unpack(viewing_inputs),
    output:
        cells=P.CELLS,
        sessions=directory(P.SESSIONS),
    params:
        settings=settings("dataset"),
        dataset=viewing_dataset,
        root=lambda w: P.RAW.path(name=w.dataset),
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/preprocess/{dataset}/cells.log",
    resources:
        mem_mb=3000,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/viewing_parquet.py"


rule viewing_groundtruth:
    input:
        unpack(viewing_inputs),
    output:
        P.GROUNDTRUTH,
    params:
        settings=settings("dataset"),
        dataset=viewing_dataset,
        root=lambda w: P.RAW.path(name=w.dataset),
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/preprocess/{dataset}/groundtruth.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/viewing_parquet.py"


rule clips_parquet:
    input:
        manifest=P.MANIFEST.fix(name="{corpus}"),
    output:
        directory(P.SHARDS),
    params:
        settings=settings("corpus"),
        corpus=video_corpus,
        root=lambda w: P.RAW.path(name=w.corpus),
    wildcard_constraints:
        corpus=VIDEO_CORPORA,
    log:
        "logs/preprocess/{corpus}/{collection}.log",
    resources:
        mem_mb=3000,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/clips_parquet.py"


rule cue_conflict_images:
    output:
        P.CUE_CONFLICT,
    params:
        settings=settings("vision"),
        spec=PLAN.vision,
        seed=PLAN.seed,
    log:
        "logs/probes/cue_conflict_images.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/cue_conflict_images.py"


# Every layer of a vision model (or a baseline) on the movie, binned: one job per model.
rule vision_features:
    input:
        unpack(vision_feature_inputs),
    output:
        directory(P.MODEL_FEATURES),
    params:
        settings=settings("vision", "dataset", "model"),
        spec=PLAN.vision,
        model=feature_model,
        file=vision_feature_file,
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/features/{dataset}/{model}.log",
    benchmark:
        "benchmarks/features/{dataset}/{model}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=feature_gpus,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/vision_features.py"


rule vision_ceilings:
    input:
        unpack(vision_ceiling_inputs),
    output:
        P.CEILINGS,
    params:
        settings=settings("vision"),
        sources=data_sources,
        spec=PLAN.vision,
        seed=PLAN.seed,
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/scores/{dataset}/ceilings.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/vision_ceilings.py"


# Per model: each cell's ridge score from every layer, each area's RSA and CKA.
rule vision_scores:
    input:
        unpack(vision_score_inputs),
    output:
        scores=P.BRAINSCORES,
        rois=P.ROISCORES,
    params:
        settings=settings("vision", "scores"),
        sources=result_sources,
        spec=PLAN.vision,
        alphas=PLAN.scores.alphas,
        seed=PLAN.seed,
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/scores/{dataset}/{model}.log",
    benchmark:
        "benchmarks/scores/{dataset}/{model}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/vision_scores.py"


# The headline table (best model, pathway and layer per area) and the pathway
# specialisation index, with bootstrap intervals over cells.
rule vision_summary:
    input:
        unpack(vision_summary_inputs),
    output:
        summary=P.SUMMARY,
        specialisation=P.SPECIALISATION,
    params:
        settings=settings("vision"),
        sources=vision_sources,
        spec=PLAN.vision,
        families=PLAN.vision_pathways(),
        seeds=PLAN.vision_seeds(),
        roster=PLAN.roster,
        seed=PLAN.seed,
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/scores/{dataset}/summary.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/vision_summary.py"


rule vision_figures:
    input:
        summary=P.SUMMARY,
        rois=lambda w: PLAN.vision_summary_inputs(w.dataset)["rois"],
        specialisation=P.SPECIALISATION,
    output:
        profiles=report(
            P.FIGURE.fix(figure="area_profiles"),
            caption="../report/area_profiles.rst",
            category="Vision",
            labels={"dataset": "{dataset}", "figure": "RSA per layer and area"},
        ),
        specialisation=report(
            P.FIGURE.fix(figure="specialisation"),
            caption="../report/specialisation.rst",
            category="Vision",
            labels={"dataset": "{dataset}", "figure": "pathway specialisation"},
        ),
    params:
        sources=vision_sources,
    wildcard_constraints:
        dataset=VIEWING,
    log:
        "logs/figures/{dataset}.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/vision_figures.py"


# The cue-conflict shape bias of each vision model: a linear read-out of its frozen features
# trained on images whose texture agrees with their shape, asked about conflicting ones.
rule shape_bias:
    input:
        unpack(shape_bias_inputs),
    output:
        P.SHAPE_BIAS,
    params:
        settings=settings("vision", "model"),
        sources=result_sources,
        spec=PLAN.vision,
        model=feature_model,
        seed=PLAN.seed,
    wildcard_constraints:
        model=PLAN.modality_wildcard("vision_models"),
    log:
        "logs/probes/shape_bias_{model}.log",
    threads: 1
    resources:
        mem_mb=3000,
        gpu=feature_gpus,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/shape_bias.py"


rule shape_bias_table:
    input:
        PLAN.shape_bias_files(),
    output:
        table=P.SHAPE_BIAS_TABLE,
        figure=report(
            P.SHAPE_BIAS_FIGURE,
            caption="../report/shape_bias.rst",
            category="Vision",
            labels={"figure": "cue-conflict shape bias"},
        ),
    params:
        sources=lambda w: PLAN.sources(None, PLAN.vision_models),
        roster=PLAN.roster,
    log:
        "logs/probes/shape_bias_table.log",
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/shape_bias_table.py"
