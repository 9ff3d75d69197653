# Models whose layers are scored. `training: null` is the untrained control: its checkpoint
# is the seeded random initialisation, so every model reaches the features stage the same way.


rule train_model:
    output:
        model="models/{model}/model.pt",
    params:
        spec=model_spec,
    log:
        "logs/train/{model}.log",
    benchmark:
        "benchmarks/train/{model}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=0,
    conda:
        "../envs/brainlike.yaml"
    script:
        "../workflow_scripts/train_model.py"
