"""Batch translation on a Ray cluster: the same files, outputs and pipeline as a local batch, spread over workers.

- `address`: where the batch runs (`auto`, `ray://HOST:PORT`, `local[:N]`), Ray itself (an optional extra, imported
  only here) and the connection, with one-line errors for a missing extra or an unreachable cluster;
- `planning`: how many workers, and the CPU threads and Ray resources of each, from the compute settings;
- `worker`: the Ray actor, which loads the three models once and translates whole files through the local batch
  pipeline (`translator.pipeline.batch.BatchTranslator`) into a scratch folder of its own;
- `transfer`: input bytes to a worker and outputs back, in bounded pieces;
- `scratch`: folders owned by a live process, and the sweeping of those a killed one left;
- `jobs`: the files waiting for a worker (a file whose worker was lost goes back to the front);
- `events`: what a cluster batch reports beyond a local batch's events, and its report;
- `driver`: `ClusterBatch`, which hands files to workers, tries a file again when its worker is lost, and moves
  each file's outputs into place together (`translator.pipeline.output_set.OutputSet`), exactly once.
"""
