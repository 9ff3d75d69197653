# Models whose layers are scored. `training: null` is the untrained control: its checkpoint
# is the seeded random initialisation, so every model reaches the features stage the same way.
# A killed training job re-run resumes from models/<model>/checkpoints/state.pt.
# heldout.json: the learning checks on chapters training never saw (brainlike.training.heldout).


rule train_model:
    input:
        unpack(training_inputs),
    output:
        model="models/{model}/model.pt",
        log="models/{model}/training_log.parquet",
        heldout="models/{model}/heldout.json",
    params:
        spec=model_spec,
        state="models/{model}/checkpoints/state.pt",
    log:
        "logs/train/{model}.log",
    benchmark:
        "benchmarks/train/{model}.tsv"
    # One thread each: on 2 cores two trainings side by side train 1.25x the audio per second
    # of one job on both cores (11.9 + 11.3 vs 18.4 audio-s/s, small presets), and the
    # weights do not depend on the machine's core count. More: --set-threads train_model=N.
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=model_gpus,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/train_model.py"
